# --- Telemetry: log:read and metric:* reach the scope's channel ----------------
# The platform sends a scope's log and metric requests to its notification channel only
# when the NRN the scope type is registered at names the external providers for the
# scope type's slug (nullplatform's scope_definition module does the same). The
# nullplatform provider has no resource for NRN attributes, so `np nrn patch` writes
# them: the same body twice changes nothing, and tofu runs it again only when the NRN
# or the slug change.

locals {
  telemetry_slug = local.late_values.SERVICE_SLUG
  telemetry_body = jsonencode({
    "global.${local.telemetry_slug}_metric_provider" = "externalmetrics"
    "global.${local.telemetry_slug}_log_provider"    = "external"
  })
  telemetry_enabled = var.register_scope_type && var.route_telemetry_to_scope

  # One np call: a stalled API fails the apply after this long instead of hanging it.
  np_call_timeout_seconds = 120
}

resource "terraform_data" "telemetry_routing" {
  count = local.telemetry_enabled ? 1 : 0

  triggers_replace = [var.nrn, local.telemetry_body]

  # Routed once the channel that answers the requests exists.
  depends_on = [nullplatform_notification_channel.lambda]

  provisioner "local-exec" {
    # Values reach the shell as environment variables, never spliced into its text.
    environment = {
      NP_CLI          = var.np_cli
      NRN             = var.nrn
      BODY            = local.telemetry_body
      TIMEOUT_SECONDS = local.np_call_timeout_seconds
      NP_API_KEY      = var.np_api_key
    }
    # The script prints an error in the ❌ / 💡 / 🔧 shape and fails the apply.
    command = "sh '${path.module}/route-telemetry.sh'"
  }
}
