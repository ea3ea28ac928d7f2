variable "execution_role_prefix" {
  description = "Prefix of the execution role name: scope-configurations lambda.execution_role_prefix > LAMBDA_EXECUTION_ROLE_PREFIX > np-lambda-. Must match one of the install module's execution_role_prefixes."
  type        = string
  default     = "np-lambda-"
}

variable "vpc_enabled" {
  description = "Whether the scope is VPC-enabled (capabilities vpc_enabled, else LAMBDA_VPC_ENABLED): attaches AWSLambdaVPCAccessExecutionRole (its network interface calls have no resource-level permissions)."
  type        = bool
  default     = false
}

variable "iam_propagation_seconds" {
  description = "Seconds to wait after the role is created (IAM is eventually consistent); only when the role is new. compose-tofu passes IAM_PROPAGATION_SECONDS (0-300)."
  type        = number
  default     = 10

  validation {
    condition     = var.iam_propagation_seconds >= 0 && var.iam_propagation_seconds <= 300 && floor(var.iam_propagation_seconds) == var.iam_propagation_seconds
    error_message = "❌ iam_propagation_seconds must be a whole number of seconds from 0 to 300. 🔧 Set IAM_PROPAGATION_SECONDS to 0-300 (10 is enough in most accounts)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the execution role: scope-configurations lambda.permissions_boundary > IAM_PERMISSIONS_BOUNDARY > IAM_PERMISSIONS_BOUNDARY_DEFAULT (set by the install module). compose-tofu always passes it on apply; empty only on destroy."
  type        = string
  default     = ""

  validation {
    condition     = var.permissions_boundary_arn == "" || can(regex("^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN: arn:<partition>:iam::<12-digit account>:policy/<name>."
  }
}
