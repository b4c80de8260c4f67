terraform {
  required_version = ">= 1.9.0" # validations that read another variable (package_type)

  # Modules state the oldest provider they are written for (the split S3 bucket resources, event
  # source mapping response types, DynamoDB deletion protection); the roots pin ~> 5.100.
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
