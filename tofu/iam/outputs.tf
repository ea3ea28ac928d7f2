output "execution_role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.execution.arn
}

output "execution_role_name" {
  description = "Name of the function's execution role (read by update-scope)."
  value       = aws_iam_role.execution.name
}
