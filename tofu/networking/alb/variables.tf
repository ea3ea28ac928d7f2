variable "alb_listener_arn" {
  description = "The private ALB listener the scope's rule goes on (fetch-scope-config's ALB_PRIVATE_LISTENER_ARN)."
  type        = string
}

variable "alb_rule_priority" {
  description = "Priority of the scope's listener rule: allocated once per scope and stored by store-scope-metadata, so updates keep it."
  type        = number

  validation {
    condition     = var.alb_rule_priority >= 1 && var.alb_rule_priority <= 50000
    error_message = "alb_rule_priority must be between 1 and 50000."
  }
}
