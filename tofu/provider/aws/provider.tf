# Credentials come from the environment only: the assumed role's temporary keys.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge(var.resource_tags, {
      ManagedBy = "nullplatform"
    })
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
