variable "execution_role_prefix" {
  description = "Prefix of the execution role name: scope-configurations lambda.execution_role_prefix > LAMBDA_EXECUTION_ROLE_PREFIX > np-lambda-. Must match one of the install module's execution_role_prefixes."
  type        = string
  default     = "np-lambda-"
}

variable "vpc_enabled" {
  description = "Whether the scope is VPC-enabled (capabilities vpc_enabled, else LAMBDA_VPC_ENABLED): attaches AWSLambdaVPCAccessExecutionRole."
  type        = bool
  default     = false
}

variable "iam_propagation_seconds" {
  description = "Seconds to wait after the role is created (IAM is eventually consistent); only when the role is new."
  type        = number
  default     = 10
}
