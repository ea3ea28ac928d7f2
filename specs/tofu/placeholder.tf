# --- Optional: the private ECR repository of the placeholder image --------------
# Image scopes create their function from a placeholder image until the first
# deployment, and Lambda pulls only from private ECR in the function's own account and
# region. With create_placeholder_repository = true this makes that repository; the
# image itself is pushed by placeholder/publish (one tag per architecture,
# <tag>-arm64 and <tag>-amd64), and PLACEHOLDER_IMAGE_URI_DEFAULT (or the
# scope-configurations deployment.placeholder_image_uri) names the one to use.

locals {
  placeholder_create = var.create_placeholder_repository

  # The permissions role must be able to check the image (ecr:DescribeImages) in it.
  placeholder_in_policies = local.placeholder_create && !contains(var.ecr_repositories, "*")
  ecr_repositories        = local.placeholder_in_policies ? distinct(concat(var.ecr_repositories, [var.placeholder_repository_name])) : var.ecr_repositories
}

resource "aws_ecr_repository" "placeholder" {
  count = local.placeholder_create ? 1 : 0

  name = var.placeholder_repository_name
  # A published placeholder never changes under a tag: a new one gets a new tag.
  image_tag_mutability = "IMMUTABLE"
  tags                 = local.tags

  image_scanning_configuration {
    scan_on_push = true
  }

  # KMS: the operator's key, else ECR's AWS managed key.
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.placeholder_repository_kms_key_arn != "" ? var.placeholder_repository_kms_key_arn : null
  }
}

# Lambda pulls the image for this account's functions only.
resource "aws_ecr_repository_policy" "placeholder" {
  count = local.placeholder_create ? 1 : 0

  repository = aws_ecr_repository.placeholder[0].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaECRImageRetrievalPolicy"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      Condition = {
        StringLike = { "aws:sourceArn" = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:*" }
      }
    }]
  })
}
