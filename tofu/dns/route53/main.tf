# An alias record for the scope's domain, to whatever the networking module in use
# exposes as local.dns_target (none: no record). compose-tofu's import block for the
# record uses the same local.
locals {
  dns_record_enabled = var.domain_name != "" && local.dns_target != null
}

resource "aws_route53_record" "scope" {
  count   = local.dns_record_enabled ? 1 : 0
  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = local.dns_target.name
    zone_id                = local.dns_target.zone_id
    evaluate_target_health = false
  }
}
