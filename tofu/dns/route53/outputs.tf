output "scope_domain" {
  description = "The scope's domain when its record exists, else empty."
  value       = length(aws_route53_record.scope) > 0 ? aws_route53_record.scope[0].fqdn : ""
}
