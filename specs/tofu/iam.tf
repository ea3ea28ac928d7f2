# --- The permissions role the agent assumes -----------------------------------

locals {
  assume_statement = merge(
    {
      Sid       = "TrustTheAgent"
      Effect    = "Allow"
      Principal = { AWS = local.trusted_principals }
      Action    = "sts:AssumeRole"
    },
    var.external_id == "" ? {} : {
      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }
    }
  )

  session_tags_statement = {
    Sid       = "AgentSessionTags"
    Effect    = "Allow"
    Principal = { AWS = local.trusted_principals }
    Action    = ["sts:TagSession", "sts:SetSourceIdentity"]
  }

  trust_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = var.enable_session_tags ? [local.assume_statement, local.session_tags_statement] : [local.assume_statement]
  })

  # Every document but `assume`, which belongs on the agent's role, `boundary`, which
  # bounds the execution roles, and `read`, the read-only role's (read_role.tf).
  role_policies = { for name, document in module.policy_documents.documents : name => document if !contains(["assume", "boundary", "read"], name) }

  # Execution-role prefixes that would also cover the scope's own roles.
  prefixes_covering_scope_roles = [
    for prefix in var.execution_role_prefixes : prefix
    if startswith(local.permissions_role_name, prefix) || startswith(local.agent_role_name, prefix) || (local.read_role_create && startswith(local.read_role_name, prefix))
  ]
}

resource "aws_iam_role" "permissions" {
  name                 = local.permissions_role_name
  description          = "Assumed by the nullplatform agent to run AWS Lambda scope workflows"
  assume_role_policy   = local.trust_policy
  max_session_duration = var.max_session_duration
  tags                 = local.tags

  lifecycle {
    precondition {
      condition     = length(local.prefixes_covering_scope_roles) == 0
      error_message = "execution_role_prefixes ${join(", ", local.prefixes_covering_scope_roles)} also match the permissions role, the read-only role or the agent's role: give prefixes only the functions' execution roles use (e.g. np-lambda-)."
    }
  }
}

resource "aws_iam_policy" "scope" {
  for_each = local.role_policies

  name        = "${local.policy_name_prefix}-${each.key}"
  description = "AWS Lambda scope: ${each.key} permissions (rendered from the steps' permissions table)"
  policy      = each.value
  tags        = local.tags
}

resource "aws_iam_role_policy_attachment" "scope" {
  for_each = aws_iam_policy.scope

  role       = aws_iam_role.permissions.name
  policy_arn = each.value.arn
}

# --- The permissions boundary of the functions' execution roles ----------------

# The most any scope function may do (its log group, its parameters secret, VPC network
# interfaces, X-Ray writes). The permissions role creates and edits execution roles
# only with this boundary, and may neither remove it from a role nor change it.
resource "aws_iam_policy" "execution_boundary" {
  count = var.execution_role_permissions_boundary_arn == "" ? 1 : 0

  name        = "${local.policy_name_prefix}-execution-boundary"
  description = "AWS Lambda scope: permissions boundary of the functions' execution roles"
  policy      = module.policy_documents.documents["boundary"]
  tags        = local.tags
}

# --- Optional: let the agent's role assume the permissions role ----------------

resource "aws_iam_role_policy" "agent_assume" {
  count = var.manage_agent_assume_policy ? 1 : 0

  name   = "${local.policy_name_prefix}-assume"
  role   = local.agent_role_name
  policy = module.policy_documents.documents["assume"]
}
