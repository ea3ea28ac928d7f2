# Expands policy-templates.json (written by `iam-policy template` from the permissions
# table in src/permissions.rs) for one account, exactly as `iam-policy render` does:
# a resource with a list placeholder becomes one resource per value, a statement left
# without resources is dropped, then the scalar placeholders are filled in everywhere.
# No provider: tests run this module with a plain `tofu apply` and compare the result
# with the Rust renderer.

locals {
  templates = jsondecode(file("${path.module}/policy-templates.json"))

  lists = {
    "{layer_account}"         = distinct(concat([var.account_id], var.layer_accounts))
    "{execution_role_prefix}" = var.execution_role_prefixes
    "{hosted_zone_id}"        = var.hosted_zone_ids
    "{assets_bucket}"         = var.assets_buckets
    "{ecr_repository}"        = var.ecr_repositories
    "{read_role}"             = compact([var.read_role_name])
    "{protected_role}"        = var.protected_roles
  }

  scalars = {
    partition        = var.partition
    account          = var.account_id
    region           = var.region
    permissions_role = var.permissions_role_name
    state_bucket     = var.state_bucket
    state_key_prefix = var.state_key_prefix
    secret_prefix    = var.secret_prefix
    boundary         = var.permissions_boundary
  }

  # One resource per value of the list placeholder a pattern holds; others kept as is.
  expanded = {
    for name, doc in local.templates : name => [
      for statement in doc.Statement : merge(statement, {
        Resource = flatten([
          for pattern in statement.Resource : concat(
            flatten([
              for key, values in local.lists : [for value in values : replace(pattern, key, value)]
              if strcontains(pattern, key)
            ]),
            [for plain in [pattern] : plain if !anytrue([for key in keys(local.lists) : strcontains(pattern, key)])]
          )
        ])
      })
    ]
  }

  # Filled in one scalar at a time (HCL has no fold).
  documents = {
    for name, statements in local.expanded : name => replace(replace(replace(replace(replace(replace(replace(replace(
      jsonencode({
        Version   = local.templates[name].Version
        Statement = [for statement in statements : statement if length(statement.Resource) > 0]
      }),
      "{partition}", local.scalars.partition),
      "{account}", local.scalars.account),
      "{region}", local.scalars.region),
      "{permissions_role}", local.scalars.permissions_role),
      "{state_bucket}", local.scalars.state_bucket),
      "{state_key_prefix}", local.scalars.state_key_prefix),
      "{secret_prefix}", local.scalars.secret_prefix),
    "{permissions_boundary}", local.scalars.boundary)
  }
}
