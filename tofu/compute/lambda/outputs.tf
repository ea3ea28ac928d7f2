output "lambda_function_arn" {
  description = "Unqualified ARN of the function (run-tofu's LAMBDA_FUNCTION_ARN)."
  value       = aws_lambda_function.this.arn
}

output "lambda_current_version" {
  description = "The version the main alias points at (run-tofu's LAMBDA_CURRENT_VERSION)."
  value       = aws_lambda_alias.main.function_version
}

output "lambda_alias_arn" {
  description = "ARN of the main alias (what the API and the ALB invoke)."
  value       = aws_lambda_alias.main.arn
}
