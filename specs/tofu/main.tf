################################################################################
# AWS Lambda scope — operator install
#
# The agent keeps its own narrow role and assumes a dedicated permissions role for
# every workflow. This module creates that role (trusting the agent role by name,
# optionally requiring an ExternalId), its least-privilege policies (rendered from
# the same permissions table the step binaries use; see modules/policy-documents),
# and registers the scope type, its actions, the notification channel and the AWS
# IAM provider entry the assume-role step resolves. Optionally a read-only role for
# the read-only workflows (read_role.tf).
################################################################################

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # `.id` is the region's name in every aws provider this module allows: `.name` is
  # deprecated in 6.x and `.region` does not exist before 6.0.
  region = var.region != "" ? var.region : data.aws_region.current.id

  agent_role_name       = var.agent_role_name != "" ? var.agent_role_name : "nullplatform-${var.cluster_name}-agent-role"
  agent_role_arn        = "arn:${local.partition}:iam::${local.account_id}:role/${local.agent_role_name}"
  permissions_role_name = var.permissions_role_name != "" ? var.permissions_role_name : "nullplatform-${var.cluster_name}-lambda-scope"
  policy_name_prefix    = var.policy_name_prefix != "" ? var.policy_name_prefix : "nullplatform-${var.cluster_name}-lambda-scope"
  trusted_principals    = distinct(concat([local.agent_role_arn], var.additional_trusted_principal_arns))

  # The boundary every execution role carries: the operator's, else the one iam.tf creates
  # (its ARN from its name, so the policies that require it need not wait for it).
  execution_role_boundary_arn = (var.execution_role_permissions_boundary_arn != ""
    ? var.execution_role_permissions_boundary_arn
  : "arn:${local.partition}:iam::${local.account_id}:policy/${local.policy_name_prefix}-execution-boundary")

  tags = merge(var.tags, { ManagedBy = "lambda-scope-install" })
}

module "policy_documents" {
  source = "./modules/policy-documents"

  partition               = local.partition
  account_id              = local.account_id
  region                  = local.region
  permissions_role_name   = local.permissions_role_name
  read_role_name          = local.read_role_create ? local.read_role_name : ""
  protected_roles         = [local.agent_role_name]
  state_bucket            = var.state_bucket
  state_key_prefix        = var.state_key_prefix
  execution_role_prefixes = var.execution_role_prefixes
  ecr_repositories        = local.ecr_repositories
  secret_prefix           = var.secret_prefix
  assets_buckets          = var.assets_buckets
  hosted_zone_ids         = var.hosted_zone_ids
  layer_accounts          = var.layer_accounts
  permissions_boundary    = local.execution_role_boundary_arn
}
