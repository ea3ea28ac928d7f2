data "aws_lb_listener" "private" {
  arn = var.alb_listener_arn
}

data "aws_lb" "private" {
  arn = data.aws_lb_listener.private.load_balancer_arn
}

resource "aws_lb_target_group" "function" {
  # Target group names are at most 32 characters.
  name        = substr("np-${var.scope_id}", 0, 32)
  target_type = "lambda"
}

resource "aws_lambda_permission" "alb" {
  statement_id  = "AllowAlbInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.main.name
  principal     = "elasticloadbalancing.amazonaws.com"
  source_arn    = aws_lb_target_group.function.arn
}

resource "aws_lb_target_group_attachment" "function" {
  target_group_arn = aws_lb_target_group.function.arn
  target_id        = aws_lambda_alias.main.arn
  depends_on       = [aws_lambda_permission.alb]
}

resource "aws_lb_listener_rule" "scope" {
  listener_arn = var.alb_listener_arn
  priority     = var.alb_rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.function.arn
  }

  condition {
    host_header {
      values = [var.domain_name != "" ? var.domain_name : "${var.scope_id}.invalid"]
    }
  }
}

# What dns/route53 points the scope's record at.
locals {
  dns_target = {
    name    = data.aws_lb.private.dns_name
    zone_id = data.aws_lb.private.zone_id
  }
}
