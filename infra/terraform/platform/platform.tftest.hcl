# `terraform test` with a mocked AWS provider: names, switches and validations of the platform root.

mock_provider "aws" {
  # Mocked values must still pass the provider's own argument validation.
  mock_resource "aws_cloudwatch_event_bus" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:event-bus/mock" }
  }
  mock_resource "aws_elasticache_cluster" {
    defaults = { cache_nodes = [{ id = "0001", address = "mock.cache.amazonaws.com", port = 6379, availability_zone = "us-east-1a" }] }
  }
  mock_resource "aws_cognito_user_pool" {
    defaults = { id = "us-east-1_mock0001", endpoint = "cognito-idp.us-east-1.amazonaws.com/us-east-1_mock0001" }
  }
}

variables {
  target           = "local"
  aws_endpoint_url = "http://127.0.0.1:4566"
  enable_cache     = false
}

run "local_target_follows_the_naming_contract" {
  command = apply

  assert {
    condition     = output.bus_name == "smartpay-bus" && output.archive_name == "smartpay-bus-archive"
    error_message = "Bus and archive must be <prefix>-bus and <prefix>-bus-archive."
  }

  assert {
    condition     = output.merchant_claim == "custom:merchant_id"
    error_message = "The merchant travels as custom:merchant_id."
  }

  assert {
    condition     = contains(output.group_names, "admin")
    error_message = "The admin group must exist."
  }

  assert {
    condition     = output.api_stage_name == "$default" && output.api_authorizer_id != ""
    error_message = "The HTTP API needs its $default stage and JWT authorizer."
  }

  assert {
    condition     = output.cache_address == "" && output.target == "local"
    error_message = "No ElastiCache locally."
  }
}

run "prefix_renames_everything" {
  command = plan

  variables {
    name_prefix = "acme"
  }

  assert {
    condition     = output.bus_name == "acme-bus" && output.archive_name == "acme-bus-archive"
    error_message = "name_prefix must drive the names."
  }
}

run "aws_target_creates_the_cache" {
  command = apply

  variables {
    target           = "aws"
    aws_endpoint_url = ""
    enable_cache     = true
  }

  assert {
    condition     = output.cache_address != ""
    error_message = "The cache must exist on AWS."
  }
}

run "rejects_unknown_target" {
  command = plan

  variables {
    target = "production"
  }

  expect_failures = [var.target]
}
