locals {
  # IAM role names are at most 64 characters.
  execution_role_name = substr("${var.execution_role_prefix}${var.function_name}-role", 0, 64)

  # The function's own log group and its scope's parameters secrets
  # (nullplatform/<scope id>/<deployment id>/parameters, as the deployments name them).
  function_log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${var.function_name}"
  parameters_secrets_arn = "arn:${data.aws_partition.current.partition}:secretsmanager:${var.aws_region}:${data.aws_caller_identity.current.account_id}:secret:nullplatform/${var.scope_id}/*"
  # tracing_mode is compute/lambda's: an actively traced function writes to X-Ray.
  execution_role_xray = var.tracing_mode == "Active"
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# Every execution role carries the permissions boundary: whatever policy is written onto
# it, the function can do no more than the boundary allows (the permissions role may
# create and edit these roles only with it).
resource "aws_iam_role" "execution" {
  name                 = local.execution_role_name
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  permissions_boundary = var.permissions_boundary_arn != "" ? var.permissions_boundary_arn : null
}

# What the function itself needs, each on its own resources only (instead of
# AWSLambdaBasicExecutionRole, which allows writing to every log group).
data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.function_log_group_arn}:*"]
  }

  # PARAMETERS_STRATEGY=secretsmanager: the function reads its deployment's secret.
  statement {
    sid       = "OwnParameters"
    actions   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
    resources = [local.parameters_secrets_arn]
  }

  # X-Ray has no resource-level permissions.
  dynamic "statement" {
    for_each = local.execution_role_xray ? [1] : []
    content {
      sid       = "XRayWrites"
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "scope-function"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

resource "aws_iam_role_policy_attachment" "vpc_access" {
  count      = var.vpc_enabled ? 1 : 0
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

# Lambda rejects a role IAM has not propagated yet. This waits once, when the role is
# created (or replaced): its unique id changes only then.
resource "terraform_data" "iam_propagation" {
  triggers_replace = [aws_iam_role.execution.unique_id]

  provisioner "local-exec" {
    command = "sleep ${var.iam_propagation_seconds}"
  }
}
