terraform {
  required_version = ">= 1.6.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    nullplatform = {
      source  = "nullplatform/nullplatform"
      version = ">= 0.0.63"
    }
  }
}

# Credentials and region come from the environment (AWS_PROFILE / AWS_REGION, ...).
provider "aws" {}

provider "nullplatform" {
  api_key = var.np_api_key
}
