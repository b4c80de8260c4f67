# Identical in every root (tests/infra checks it). One variable moves the stack between moto,
# LocalStack and AWS: aws_endpoint_url. Written for provider 3.39 (the offline mirror); on
# provider >= 4 rename s3_force_path_style to s3_use_path_style (docs/terraform.md).

locals {
  emulated = var.aws_endpoint_url != ""
}

provider "aws" {
  region = var.region

  # Emulators take any key; fake keys only there, never a fallback for AWS.
  access_key                  = local.emulated ? "test" : null
  secret_key                  = local.emulated ? "test" : null
  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_requesting_account_id  = local.emulated
  skip_region_validation      = local.emulated
  max_retries                 = local.emulated ? 1 : null
  s3_force_path_style         = local.emulated

  # 3.x endpoint names; 5.x still accepts them as aliases.
  dynamic "endpoints" {
    for_each = local.emulated ? [var.aws_endpoint_url] : []
    content {
      apigateway       = endpoints.value
      cloudwatch       = endpoints.value
      cloudwatchevents = endpoints.value
      cloudwatchlogs   = endpoints.value
      cognitoidp       = endpoints.value
      dynamodb         = endpoints.value
      ec2              = endpoints.value
      elasticache      = endpoints.value
      es               = endpoints.value
      iam              = endpoints.value
      kms              = endpoints.value
      lambda           = endpoints.value
      s3               = endpoints.value
      secretsmanager   = endpoints.value
      sns              = endpoints.value
      sqs              = endpoints.value
      sts              = endpoints.value
    }
  }
}
