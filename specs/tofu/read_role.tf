# --- Optional: the read-only role of the read-only workflows -------------------
# Telemetry (log:read, metric:*, instance:data) and diagnose only read. With
# create_read_role = true they assume this role instead of the permissions role: the
# assume-role step takes the AWS IAM provider entry under iam_provider_read_selector
# (its ASSUME_ROLE_READ_SELECTOR, default lambda-read) first. The role trusts the agent
# exactly as the permissions role does (same principals, same sts:ExternalId) and holds
# one policy, rendered from the permissions table's read-only steps: every action in it
# is a read (iam-policy render --access read refuses any other).

locals {
  read_role_create = var.create_read_role
  read_role_name   = var.read_role_name != "" ? var.read_role_name : "${local.permissions_role_name}-read"
  read_role_arn    = try(aws_iam_role.read[0].arn, "")
}

resource "aws_iam_role" "read" {
  count = local.read_role_create ? 1 : 0

  name                 = local.read_role_name
  description          = "Assumed by the nullplatform agent for the AWS Lambda scope's read-only workflows (telemetry, diagnose)"
  assume_role_policy   = local.trust_policy
  max_session_duration = var.max_session_duration
  tags                 = local.tags

  lifecycle {
    precondition {
      condition     = length(local.read_role_name) <= 64
      error_message = "❌ the read-only role's name ${local.read_role_name} is longer than IAM's 64 characters. 🔧 Set read_role_name to a shorter name."
    }
    precondition {
      condition     = local.read_role_name != local.permissions_role_name && local.read_role_name != local.agent_role_name
      error_message = "❌ read_role_name ${local.read_role_name} is the name of the permissions role or the agent's role. 🔧 Give the read-only role a name of its own (default: <permissions role>-read)."
    }
  }
}

resource "aws_iam_policy" "read" {
  count = local.read_role_create ? 1 : 0

  name        = "${local.policy_name_prefix}-read"
  description = "AWS Lambda scope: read-only permissions of telemetry and diagnose (rendered from the steps' permissions table)"
  policy      = module.policy_documents.documents["read"]
  tags        = local.tags
}

resource "aws_iam_role_policy_attachment" "read" {
  count = local.read_role_create ? 1 : 0

  role       = aws_iam_role.read[0].name
  policy_arn = aws_iam_policy.read[0].arn
}
