variable "package_type" {
  description = "Zip or Image (build-scope-context's PACKAGE_TYPE)."
  type        = string

  validation {
    condition     = contains(["Zip", "Image"], var.package_type)
    error_message = "package_type must be Zip or Image."
  }
}

variable "placeholder_filename" {
  description = "Zip: path of the placeholder package (resolve-placeholder-image's LAMBDA_FILENAME)."
  type        = string
  default     = ""
}

variable "placeholder_image_uri" {
  description = "Image: the placeholder image in a private ECR repository of this account and region (resolve-placeholder-image's PLACEHOLDER_IMAGE_URI)."
  type        = string
  default     = ""
}

variable "runtime" {
  description = "Zip: the Lambda runtime (e.g. nodejs22.x)."
  type        = string
  default     = ""
}

variable "handler" {
  description = "Zip: the handler (e.g. index.handler)."
  type        = string
  default     = ""
}

variable "architecture" {
  description = "x86_64 or arm64."
  type        = string
  default     = "x86_64"
}

variable "memory_size" {
  description = "Memory in MB: capabilities memory, else LAMBDA_MEMORY (deployments own it afterwards)."
  type        = number
  default     = 128
}

variable "timeout_seconds" {
  description = "Timeout in seconds: capabilities timeout, else LAMBDA_TIMEOUT (deployments own it afterwards)."
  type        = number
  default     = 30
}

variable "subnet_ids" {
  description = "VPC subnets (fetch-scope-config's AWS_SUBNET_IDS); empty: the function is not in a VPC."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "VPC security groups (fetch-scope-config's SECURITY_GROUP_IDS); used with subnet_ids."
  type        = list(string)
  default     = []
}

variable "log_retention_days" {
  description = "Retention of the function's log group (LOG_RETENTION_DAYS)."
  type        = number
  default     = 30
}

variable "main_alias_name" {
  description = "The alias traffic goes to; deployments move it between versions."
  type        = string
  default     = "main"
}

variable "tracing_mode" {
  description = "X-Ray tracing of the function (LAMBDA_TRACING_MODE): Active (default; the execution role may then write to X-Ray) or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key encrypting the function's log group (LOG_KMS_KEY_ARN); its key policy must let CloudWatch Logs use it. Empty: CloudWatch Logs' own encryption."
  type        = string
  default     = ""

  validation {
    condition     = var.log_kms_key_arn == "" || can(regex("^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.log_kms_key_arn))
    error_message = "log_kms_key_arn must be a KMS key ARN: arn:<partition>:kms:<region>:<account>:key/<key id>."
  }
}
