variable "api_certificate_arn" {
  description = "ACM certificate (same region) for the custom domain; empty: no custom domain, the API's own endpoint only."
  type        = string
  default     = ""
}
