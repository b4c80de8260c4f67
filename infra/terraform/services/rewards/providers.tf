# Identical in every root (tests/infra checks it). One variable moves the stack between moto,
# LocalStack and AWS: aws_endpoint_url. Written for hashicorp/aws 5.x (versions.tf).

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
  # 5.x counts attempts (3.x counted retries): 3 lets a call survive a connection the emulator dropped
  # ("use of closed network connection" seen under load) without the default's long back-off.
  max_retries       = local.emulated ? 3 : null
  s3_use_path_style = local.emulated

  # One entry per AWS service any resource or data source of the roots calls (5.x names; a service
  # without an entry would go to AWS itself: tests/infra checks the list against the resource types, and
  # the local orchestrator sends everything that is not the emulator into a closed proxy). Not written when
  # aws_endpoint_from_environment is set: the provider then takes the emulator's address from
  # AWS_ENDPOINT_URL, for every service (hashicorp/aws 5.100 spends ~4.5 s of CPU validating any non-empty
  # endpoints block, at each of an apply's three provider-config validations: docs/terraform.md, "Apply time").
  dynamic "endpoints" {
    for_each = local.emulated && !var.aws_endpoint_from_environment ? [var.aws_endpoint_url] : []
    content {
      apigatewayv2   = endpoints.value
      cloudwatch     = endpoints.value
      cognitoidp     = endpoints.value
      dynamodb       = endpoints.value
      ec2            = endpoints.value
      ecr            = endpoints.value
      elasticache    = endpoints.value
      es             = endpoints.value
      events         = endpoints.value
      iam            = endpoints.value
      kms            = endpoints.value
      lambda         = endpoints.value
      logs           = endpoints.value
      s3             = endpoints.value
      secretsmanager = endpoints.value
      sns            = endpoints.value
      sqs            = endpoints.value
      sts            = endpoints.value
    }
  }
}
