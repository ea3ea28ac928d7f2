output "permissions_role_arn" {
  description = "ARN of the permissions role the agent assumes (published to the AWS IAM provider under the lambda selector)."
  value       = aws_iam_role.permissions.arn
}

output "permissions_role_name" {
  description = "Name of the permissions role."
  value       = aws_iam_role.permissions.name
}

output "policy_arns" {
  description = "ARNs of the managed policies attached to the permissions role, keyed by document (lambda, iam, networking, storage)."
  value       = { for name, policy in aws_iam_policy.scope : name => policy.arn }
}

output "execution_role_permissions_boundary_arn" {
  description = "ARN of the permissions boundary every execution role carries (the notification channel's IAM_PERMISSIONS_BOUNDARY_DEFAULT)."
  value       = local.execution_role_boundary_arn
}

output "agent_assume_policy" {
  description = "Policy document the agent's role needs to assume the permissions role (applied when manage_agent_assume_policy = true)."
  value       = module.policy_documents.documents["assume"]
}

output "service_specification_id" {
  description = "ID of the registered service specification (empty when register_scope_type = false)."
  value       = try(nullplatform_service_specification.lambda[0].id, "")
}

output "scope_type_id" {
  description = "ID of the registered scope type (empty when register_scope_type = false)."
  value       = try(nullplatform_scope_type.lambda[0].id, "")
}

output "action_specification_ids" {
  description = "IDs of the registered action specifications, keyed by action slug."
  value       = { for name, action in nullplatform_action_specification.lambda : name => action.id }
}

output "notification_channel_id" {
  description = "ID of the notification channel routing the scope's actions to the agent (empty when register_scope_type = false)."
  value       = try(nullplatform_notification_channel.lambda[0].id, "")
}

output "telemetry_nrn_patch_command" {
  description = "The np call that routes the scope type's log:read and metric:* to its channel (run by the module unless route_telemetry_to_scope = false; empty when register_scope_type = false)."
  value       = var.register_scope_type ? "np nrn patch --nrn '${var.nrn}' --body '${local.telemetry_body}'" : ""
}

output "lambda_alb_arn" {
  description = "ARN of the scopes' ALB (empty when install_alb = false)."
  value       = local.alb_create ? aws_lb.alb[0].arn : ""
}

output "lambda_alb_listener_arn" {
  description = "ARN of the ALB's HTTPS listener: publish it as the vpc provider's load_balancer.private.listener_arn, where private scopes put their rules (empty when install_alb = false)."
  value       = local.alb_create ? aws_lb_listener.alb_https[0].arn : ""
}

output "lambda_alb_dns_name" {
  description = "DNS name of the scopes' ALB (empty when install_alb = false)."
  value       = local.alb_create ? aws_lb.alb[0].dns_name : ""
}

output "placeholder_repository_url" {
  description = "URL of the placeholder image's ECR repository: placeholder/publish --repository (empty when create_placeholder_repository = false)."
  value       = local.placeholder_create ? aws_ecr_repository.placeholder[0].repository_url : ""
}

output "placeholder_image_uris" {
  description = "The placeholder image of each function architecture once published, for PLACEHOLDER_IMAGE_URI_DEFAULT or scope-configurations deployment.placeholder_image_uri (empty when create_placeholder_repository = false)."
  value = local.placeholder_create ? {
    arm64  = "${aws_ecr_repository.placeholder[0].repository_url}:${var.placeholder_image_tag}-arm64"
    x86_64 = "${aws_ecr_repository.placeholder[0].repository_url}:${var.placeholder_image_tag}-amd64"
  } : {}
}

output "placeholder_image_uri_template" {
  description = "One PLACEHOLDER_IMAGE_URI_DEFAULT (or scope-configurations deployment.placeholder_image_uri) for both architectures: resolve-placeholder-image replaces {arch} with arm64 or amd64 (empty when create_placeholder_repository = false)."
  value       = local.placeholder_create ? "${aws_ecr_repository.placeholder[0].repository_url}:${var.placeholder_image_tag}-{arch}" : ""
}

output "read_role_arn" {
  description = "ARN of the read-only role of telemetry and diagnose (published to the AWS IAM provider under iam_provider_read_selector; empty when create_read_role = false)."
  value       = local.read_role_arn
}

output "read_role_name" {
  description = "Name of the read-only role (empty when create_read_role = false)."
  value       = local.read_role_create ? aws_iam_role.read[0].name : ""
}

output "read_policy_arn" {
  description = "ARN of the read-only role's managed policy, every action in it a read (empty when create_read_role = false)."
  value       = try(aws_iam_policy.read[0].arn, "")
}
