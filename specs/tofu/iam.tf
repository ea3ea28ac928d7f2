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

  # Every document but `assume`, which belongs on the agent's role.
  role_policies = { for name, document in module.policy_documents.documents : name => document if name != "assume" }
}

resource "aws_iam_role" "permissions" {
  name                 = local.permissions_role_name
  description          = "Assumed by the nullplatform agent to run AWS Lambda scope workflows"
  assume_role_policy   = local.trust_policy
  max_session_duration = var.max_session_duration
  tags                 = local.tags
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

# --- Optional: let the agent's role assume the permissions role ----------------

resource "aws_iam_role_policy" "agent_assume" {
  count = var.manage_agent_assume_policy ? 1 : 0

  name   = "${local.policy_name_prefix}-assume"
  role   = local.agent_role_name
  policy = module.policy_documents.documents["assume"]
}
