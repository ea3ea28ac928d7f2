output "aws_account_id" {
  description = "Account the resources were created in (the assumed role's account)."
  value       = data.aws_caller_identity.current.account_id
}
