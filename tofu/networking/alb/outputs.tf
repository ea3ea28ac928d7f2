output "alb_rule_arn" {
  description = "ARN of the scope's listener rule (run-tofu's ALB_RULE_ARN)."
  value       = aws_lb_listener_rule.scope.arn
}

output "alb_target_group_arn" {
  description = "ARN of the target group that forwards to the main alias."
  value       = aws_lb_target_group.function.arn
}
