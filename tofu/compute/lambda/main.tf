resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "this" {
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

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  depends_on = [
    terraform_data.iam_propagation,
    aws_iam_role_policy_attachment.basic_execution,
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
