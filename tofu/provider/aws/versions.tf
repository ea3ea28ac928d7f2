# The backend's settings (bucket, key `lambda/<scope id>/terraform.tfstate`, region,
# lock file, endpoint override) are given by run-tofu at `init`.
terraform {
  # The S3 backend's lock file (`use_lockfile`, no DynamoDB table) exists from 1.10 on
  # in both OpenTofu and Terraform; import blocks need 1.7.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  backend "s3" {}
}
