# The backend's settings (bucket, key `lambda/<scope id>/terraform.tfstate`, region,
# lock file, endpoint override) are given by tofu-step at `init`.
terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }

  backend "s3" {}
}
