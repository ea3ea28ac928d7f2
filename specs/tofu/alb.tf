# --- Optional: the load balancer private scopes attach to ----------------------
# Off unless install_alb = true. Private scopes put their target group and a host-header
# listener rule on the HTTPS listener the vpc provider names as
# load_balancer.private.listener_arn (networking/alb in tofu/); this creates that ALB:
# internal by default, HTTPS 443 with a fixed 404 for hosts no scope claims, HTTP 80
# redirected to HTTPS, and its security group. Publish the lambda_alb_listener_arn
# output to the vpc provider.
#
# Certificate: certificate_arn when given (e.g. the wildcard other scopes already use),
# else a DNS-validated *.<domain_name> in the public zone public_zone_id.
# Subnets: alb_subnet_ids, else the VPC's subnets tagged nullplatform/subnet-type =
# private (public when alb_internal = false).

locals {
  alb_create  = var.install_alb
  alb_cert_ok = var.certificate_arn != "" || (var.domain_name != "" && var.public_zone_id != "")
  create_cert = var.install_alb && var.certificate_arn == "" && local.alb_cert_ok

  alb_name        = var.alb_name != "" ? var.alb_name : substr("np-${var.cluster_name}-lambda", 0, 32)
  alb_subnet_type = var.alb_internal ? "private" : "public"

  alb_subnet_ids = length(var.alb_subnet_ids) > 0 ? var.alb_subnet_ids : (
    local.alb_create ? data.aws_subnets.alb[0].ids : []
  )
  # Who may reach the listeners: the operator's CIDRs, else the VPC itself (an internal
  # ALB serves the VPC and what is peered or routed into it, never the internet).
  alb_ingress_cidr_blocks = length(var.alb_ingress_cidr_blocks) > 0 ? var.alb_ingress_cidr_blocks : (
    local.alb_create ? [data.aws_vpc.alb[0].cidr_block] : []
  )

  alb_certificate_arn = var.certificate_arn != "" ? var.certificate_arn : (
    local.create_cert ? aws_acm_certificate_validation.alb[0].certificate_arn : ""
  )

  alb_tags = merge(local.tags, { Purpose = "lambda-scope-alb" })
}

data "aws_vpc" "alb" {
  count = local.alb_create ? 1 : 0
  id    = var.vpc_id

  lifecycle {
    precondition {
      condition     = var.vpc_id != ""
      error_message = "❌ install_alb = true needs vpc_id. 🔧 Set vpc_id to the VPC of the private scopes (vpc-...), or install_alb = false."
    }
    precondition {
      condition     = var.alb_internal || length(var.alb_ingress_cidr_blocks) > 0
      error_message = "❌ an internet-facing ALB (alb_internal = false) needs alb_ingress_cidr_blocks. 🔧 Name who may reach it, e.g. [\"0.0.0.0/0\"] for everyone, or keep alb_internal = true for private scopes."
    }
    precondition {
      condition     = local.alb_cert_ok
      error_message = "❌ install_alb = true needs a certificate for the HTTPS listener. 🔧 Set certificate_arn to an ACM certificate of this region, or domain_name and public_zone_id (a public Route 53 zone) for a DNS-validated *.<domain_name>."
    }
  }
}

data "aws_subnets" "alb" {
  count = local.alb_create && length(var.alb_subnet_ids) == 0 ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.alb[0].id]
  }
  filter {
    name   = "tag:nullplatform/subnet-type"
    values = [local.alb_subnet_type]
  }
}

# --- Certificate (only without certificate_arn) ---------------------------------

resource "aws_acm_certificate" "alb" {
  #checkov:skip=CKV2_AWS_71: one listener serves every private scope, each on its own <scope>.<domain_name> host made at scope creation: only a wildcard covers them
  count = local.create_cert ? 1 : 0

  domain_name               = "*.${var.domain_name}"
  subject_alternative_names = [var.domain_name]
  validation_method         = "DNS"
  tags                      = local.alb_tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "alb_certificate_validation" {
  count = local.create_cert ? 1 : 0

  zone_id         = var.public_zone_id
  name            = tolist(aws_acm_certificate.alb[0].domain_validation_options)[0].resource_record_name
  type            = tolist(aws_acm_certificate.alb[0].domain_validation_options)[0].resource_record_type
  records         = [tolist(aws_acm_certificate.alb[0].domain_validation_options)[0].resource_record_value]
  ttl             = 60
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "alb" {
  count = local.create_cert ? 1 : 0

  certificate_arn         = aws_acm_certificate.alb[0].arn
  validation_record_fqdns = [aws_route53_record.alb_certificate_validation[0].fqdn]
}

# --- Security group -----------------------------------------------------------------

resource "aws_security_group" "alb" {
  count = local.alb_create ? 1 : 0

  name        = "${local.alb_name}-alb"
  description = "HTTPS (and HTTP, redirected) to the Lambda scopes' load balancer"
  vpc_id      = var.vpc_id
  tags        = local.alb_tags

  ingress {
    description = "HTTPS to the scopes"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = local.alb_ingress_cidr_blocks
  }

  ingress {
    description = "HTTP, answered with a redirect to HTTPS"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = local.alb_ingress_cidr_blocks
  }

  # Lambda targets are invoked through the Lambda service's HTTPS endpoint.
  egress {
    description = "HTTPS to the Lambda service"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  lifecycle {
    create_before_destroy = true
  }
}

# --- Load balancer and listeners -------------------------------------------------------

resource "aws_lb" "alb" {
  #checkov:skip=CKV2_AWS_28: a WAF web ACL is the operator's (alb_web_acl_arn associates one); the module does not make one up
  #checkov:skip=CKV_AWS_91: access logs need a bucket whose policy lets ELB write: the operator's alb_access_logs_bucket turns them on
  count = local.alb_create ? 1 : 0

  name                       = local.alb_name
  internal                   = var.alb_internal
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb[0].id]
  subnets                    = local.alb_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  tags                       = local.alb_tags

  dynamic "access_logs" {
    for_each = var.alb_access_logs_bucket != "" ? [1] : []
    content {
      bucket  = var.alb_access_logs_bucket
      prefix  = local.alb_name
      enabled = true
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.alb_subnet_ids) >= 2
      error_message = "❌ the load balancer needs subnets in at least two availability zones; ${length(local.alb_subnet_ids)} found. 🔧 Set alb_subnet_ids, or tag the VPC's subnets nullplatform/subnet-type = ${local.alb_subnet_type}."
    }
  }
}

# HTTPS: TLS 1.2+ only; hosts no scope's rule claims get a 404.
resource "aws_lb_listener" "alb_https" {
  count = local.alb_create ? 1 : 0

  load_balancer_arn = aws_lb.alb[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = local.alb_certificate_arn
  tags              = local.alb_tags

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "no scope serves this host"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener" "alb_http" {
  count = local.alb_create ? 1 : 0

  load_balancer_arn = aws_lb.alb[0].arn
  port              = 80
  protocol          = "HTTP"
  tags              = local.alb_tags

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_wafv2_web_acl_association" "alb" {
  count = local.alb_create && var.alb_web_acl_arn != "" ? 1 : 0

  resource_arn = aws_lb.alb[0].arn
  web_acl_arn  = var.alb_web_acl_arn
}
