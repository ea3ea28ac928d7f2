locals {
  # IAM role names are at most 64 characters.
  execution_role_name = substr("${var.execution_role_prefix}${var.function_name}-role", 0, 64)
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

resource "aws_iam_role" "execution" {
  name               = local.execution_role_name
  assume_role_policy = data.aws_iam_policy_document.lambda_trust.json
}

resource "aws_iam_role_policy_attachment" "basic_execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
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
