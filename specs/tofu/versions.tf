terraform {
  # The same floor as the scope's own modules (S3 use_lockfile); terraform_data
  # (telemetry.tf) needs 1.4.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x and 6.x: every attribute read here exists in both (see main.tf's region);
      # 7.0 may remove what 6.x deprecates, so it is not taken before it is tried.
      version = ">= 5.0, < 7.0"
    }
    nullplatform = {
      source = "nullplatform/nullplatform"
      # nullplatform_provider_specification (the scope-configurations schema) exists
      # from 0.0.96 on.
      version = ">= 0.0.96"
    }
  }
}

# Credentials and region come from the environment (AWS_PROFILE / AWS_REGION, ...).
provider "aws" {}

provider "nullplatform" {
  api_key = var.np_api_key
}
