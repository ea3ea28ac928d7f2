# Variables shared by every module of the composed root module (declared only here).

variable "aws_region" {
  description = "AWS region of the scope's resources (fetch-scope-config's AWS_REGION)."
  type        = string
}

variable "scope_id" {
  description = "nullplatform scope id; part of every name and of the state key."
  type        = string
}

variable "function_name" {
  description = "Lambda function name (build-scope-context's LAMBDA_FUNCTION_NAME, at most 64 characters)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of letters, digits, '-' and '_'."
  }
}

variable "resource_tags" {
  description = "Tags on every resource (build-scope-context's RESOURCE_TAGS_JSON); ManagedBy is always added."
  type        = map(string)
  default     = {}
}

variable "domain_name" {
  description = "The scope's domain (generate-domain's SCOPE_DOMAIN); empty when the scope has none."
  type        = string
  default     = ""
}
