# --- nullplatform registration -------------------------------------------------
# The templates in specs/ use gomplate's {{ env.Getenv "NAME" }} placeholders (so
# nullplatform's own scope_definition module can read them too); here they are filled
# with replace(), each value JSON-escaped, so no gomplate is needed.

locals {
  specs_dir = "${path.module}/.."

  action_names = [
    for file in fileset("${local.specs_dir}/actions", "*.json.tpl") : trimsuffix(file, ".json.tpl")
  ]

  # Values whose placeholders are known before anything is created.
  early_values = { NRN = var.nrn }
  early_escaped = {
    for key, value in local.early_values : key => substr(jsonencode(value), 1, length(jsonencode(value)) - 2)
  }

  service_spec = jsondecode(replace(
    file("${local.specs_dir}/service-spec.json.tpl"),
    "{{ env.Getenv \"NRN\" }}", local.early_escaped.NRN
  ))
  scope_configuration = jsondecode(replace(
    file("${local.specs_dir}/scope-configuration.json.tpl"),
    "{{ env.Getenv \"NRN\" }}", local.early_escaped.NRN
  ))
}

resource "nullplatform_service_specification" "lambda" {
  count = var.register_scope_type ? 1 : 0

  name                = var.service_name
  visible_to          = local.service_spec.visible_to
  assignable_to       = local.service_spec.assignable_to
  type                = local.service_spec.type
  attributes          = jsonencode(local.service_spec.attributes)
  use_default_actions = local.service_spec.use_default_actions

  selectors {
    category     = local.service_spec.selectors.category
    imported     = local.service_spec.selectors.imported
    provider     = local.service_spec.selectors.provider
    sub_category = local.service_spec.selectors.sub_category
  }
}

locals {
  # Values known once the service specification exists.
  late_values = {
    NRN                      = var.nrn
    SERVICE_SPECIFICATION_ID = try(nullplatform_service_specification.lambda[0].id, "")
    SERVICE_SLUG             = try(nullplatform_service_specification.lambda[0].slug, "")
    REPO_PATH                = var.repo_path
    NP_API_KEY               = var.np_api_key
    ENVIRONMENT              = lookup(var.agent_selector, "environment", "")
  }
  late_escaped = {
    for key, value in local.late_values : key => substr(jsonencode(value), 1, length(jsonencode(value)) - 2)
  }

  late_templates = merge(
    { for name in local.action_names : "actions/${name}" => file("${local.specs_dir}/actions/${name}.json.tpl") },
    {
      "scope-type-definition" = file("${local.specs_dir}/scope-type-definition.json.tpl")
      "notification-channel"  = file("${local.specs_dir}/notification-channel.json.tpl")
    }
  )

  late_rendered = {
    for name, raw in local.late_templates : name => jsondecode(
      replace(replace(replace(replace(replace(replace(raw,
        "{{ env.Getenv \"NRN\" }}", local.late_escaped.NRN),
        "{{ env.Getenv \"SERVICE_SPECIFICATION_ID\" }}", local.late_escaped.SERVICE_SPECIFICATION_ID),
        "{{ env.Getenv \"SERVICE_SLUG\" }}", local.late_escaped.SERVICE_SLUG),
        "{{ env.Getenv \"REPO_PATH\" }}", local.late_escaped.REPO_PATH),
        "{{ env.Getenv \"NP_API_KEY\" }}", local.late_escaped.NP_API_KEY),
      "{{ env.Getenv \"ENVIRONMENT\" }}", local.late_escaped.ENVIRONMENT)
    )
  }

  scope_type = local.late_rendered["scope-type-definition"]
  channel    = local.late_rendered["notification-channel"]

  # The allowed execution-role prefixes reach every step, so compose-tofu warns before
  # tofu fails on a role this install's policies do not cover.
  # The boundary's ARN too: compose-tofu gives it to every execution role unless the
  # scope-configurations or IAM_PERMISSIONS_BOUNDARY name another.
  channel_environment = merge(local.channel.configuration.command.data.environment, {
    LAMBDA_EXECUTION_ROLE_PREFIXES_ALLOWED = join(",", var.execution_role_prefixes)
    IAM_PERMISSIONS_BOUNDARY_DEFAULT       = local.execution_role_boundary_arn
  })
}

resource "nullplatform_scope_type" "lambda" {
  count = var.register_scope_type ? 1 : 0

  nrn           = var.nrn
  name          = var.service_name
  description   = local.scope_type.description
  type          = local.scope_type.type
  provider_id   = nullplatform_service_specification.lambda[0].id
  provider_type = local.scope_type.provider_type
}

resource "nullplatform_action_specification" "lambda" {
  for_each = var.register_scope_type ? toset(local.action_names) : toset([])

  service_specification_id = nullplatform_service_specification.lambda[0].id
  name                     = local.late_rendered["actions/${each.key}"].name
  type                     = local.late_rendered["actions/${each.key}"].type
  parameters               = jsonencode(local.late_rendered["actions/${each.key}"].parameters)
  results                  = jsonencode(local.late_rendered["actions/${each.key}"].results)
  retryable                = local.late_rendered["actions/${each.key}"].retryable
  description              = try(local.late_rendered["actions/${each.key}"].description, null)
  icon                     = try(local.late_rendered["actions/${each.key}"].icon, null)
  annotations              = try(jsonencode(local.late_rendered["actions/${each.key}"].annotations), null)
}

resource "nullplatform_provider_specification" "scope_configuration" {
  count = var.register_scope_type ? 1 : 0

  name             = local.scope_configuration.name
  description      = local.scope_configuration.description
  icon             = local.scope_configuration.icon
  category         = local.scope_configuration.category
  allow_dimensions = local.scope_configuration.allow_dimensions
  visible_to       = local.scope_configuration.visible_to
  schema           = jsonencode(local.scope_configuration.schema)
}

resource "nullplatform_notification_channel" "lambda" {
  count = var.register_scope_type ? 1 : 0

  nrn    = var.nrn
  type   = local.channel.type
  source = local.channel.source

  configuration {
    agent {
      api_key = var.np_api_key
      command {
        type = local.channel.configuration.command.type
        data = {
          cmdline     = local.channel.configuration.command.data.cmdline
          environment = jsonencode(local.channel_environment)
        }
      }
      selector = var.agent_selector
    }
  }

  filters = jsonencode(local.channel.filters)
}
