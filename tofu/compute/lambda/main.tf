resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158: encrypted with the operator's key when LOG_KMS_KEY_ARN is set, else with CloudWatch Logs' own encryption at rest
  #checkov:skip=CKV_AWS_338: retention is the operator's LOG_RETENTION_DAYS (function logs, 30 days unless set)
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn != "" ? var.log_kms_key_arn : null
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116: scopes serve synchronous HTTP requests; failure destinations of async invocations are the application's choice
  #checkov:skip=CKV_AWS_115: reserved concurrency is set per scope by the adjust-reserved-concurrency action, not fixed here
  #checkov:skip=CKV_AWS_272: deployments publish the application's own build artifacts, which nullplatform does not sign
  function_name = var.function_name
  role          = aws_iam_role.execution.arn
  package_type  = var.package_type
  architectures = [var.architecture]
  memory_size   = var.memory_size
  timeout       = var.timeout_seconds
  publish       = true

  # The placeholder code: deployments replace it with the real asset.
  filename  = var.package_type == "Zip" ? var.placeholder_filename : null
  runtime   = var.package_type == "Zip" ? var.runtime : null
  handler   = var.package_type == "Zip" ? var.handler : null
  image_uri = var.package_type == "Image" ? var.placeholder_image_uri : null

  # Both on create and on update: a VPC-enabled scope gets its subnets from the start.
  dynamic "vpc_config" {
    for_each = length(var.subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  # Lambda rejected logging_config in aws-cn and aws-us-gov (aws-cdk#28919), so it is
  # sent on the aws partition only. Elsewhere the function logs to its default group,
  # /aws/lambda/<function name>: the same group as above, so retention and the KMS key
  # still apply to its logs.
  dynamic "logging_config" {
    for_each = data.aws_partition.current.partition == "aws" ? [1] : []
    content {
      log_format = "Text"
      log_group  = aws_cloudwatch_log_group.function.name
    }
  }

  # The log group first, on every partition: without logging_config nothing else
  # orders it before the function, and a group Lambda made first would fail its create.
  depends_on = [
    aws_cloudwatch_log_group.function,
    terraform_data.iam_propagation,
    aws_iam_role_policy.execution,
    aws_iam_role_policy_attachment.vpc_access,
  ]

  # Deployments own the code, its configuration and the published versions.
  lifecycle {
    ignore_changes = [
      filename,
      image_uri,
      source_code_hash,
      s3_bucket,
      s3_key,
      s3_object_version,
      runtime,
      handler,
      memory_size,
      timeout,
      environment,
      layers,
      publish,
    ]
  }
}

resource "aws_lambda_alias" "main" {
  name             = var.main_alias_name
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  # Deployments move the alias (and its traffic split).
  lifecycle {
    ignore_changes = [function_version, routing_config]
  }
}
