terraform {
  required_version = ">= 1.5.0"

  # Modules state the oldest provider they are written for; roots pin the exact line (~> 3.39.0
  # offline). The HCL is kept valid for 3.39 and 5.x (validated by tests/infra).
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 3.39.0"
    }
  }
}
