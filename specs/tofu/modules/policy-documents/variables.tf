variable "partition" {
  description = "AWS partition of the account (aws, aws-cn, aws-us-gov)."
  type        = string
}

variable "account_id" {
  description = "The 12-digit AWS account the scopes run in."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "region" {
  description = "The region the scopes run in."
  type        = string
}

variable "permissions_role_name" {
  description = "Name of the permissions role the agent assumes."
  type        = string
}

variable "read_role_name" {
  description = "Name of the read-only role of the read-only workflows, or empty when there is none: the agent may assume it, and the IAM document denies every IAM action on it."
  type        = string
  default     = ""

  validation {
    condition     = var.read_role_name == "" || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.read_role_name))
    error_message = "read_role_name must be empty or an IAM role name: 1-64 letters, digits or +=,.@_-."
  }
}

variable "protected_roles" {
  description = "Names of roles the scope must never modify or pass (the agent's own role); the IAM document denies every IAM action on them."
  type        = list(string)
  default     = []
}

variable "state_bucket" {
  description = "The OpenTofu state bucket of the scopes."
  type        = string
}

variable "state_key_prefix" {
  description = "Key prefix of the scopes' state objects (lambda/ gives lambda/<scope id>/terraform.tfstate)."
  type        = string
  default     = "lambda/"
}

variable "execution_role_prefixes" {
  description = "Allowed name prefixes of the functions' execution roles."
  type        = list(string)
  default     = ["np-lambda-"]
}

variable "permissions_boundary" {
  description = "ARN of the permissions boundary every execution role must carry: the role-writing IAM calls are allowed only with it, and it cannot be changed or removed."
  type        = string

  validation {
    condition     = can(regex("^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN: arn:<partition>:iam::<12-digit account>:policy/<name>."
  }
}

variable "ecr_repositories" {
  description = "ECR repositories holding function and placeholder images (\"*\" = every repository of the account and region)."
  type        = list(string)
  default     = ["*"]
}

variable "secret_prefix" {
  description = "Name prefix of the deployments' parameters secrets in Secrets Manager."
  type        = string
  default     = "nullplatform/"
}

variable "assets_buckets" {
  description = "Buckets holding Zip deployment packages (none = image deployments only)."
  type        = list(string)
  default     = []
}

variable "hosted_zone_ids" {
  description = "Route 53 hosted zones the scopes' records go in (\"*\" = every zone of the account)."
  type        = list(string)
  default     = ["*"]
}

variable "layer_accounts" {
  description = "Other accounts whose Lambda layers the functions may use."
  type        = list(string)
  default     = []
}
