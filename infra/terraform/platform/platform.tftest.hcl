# `terraform test` with a mocked AWS provider: names, switches and validations of the platform root.

mock_provider "aws" {
  # Mocked values must still pass the provider's own argument validation.
  mock_resource "aws_cloudwatch_event_bus" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:event-bus/mock" }
  }
  mock_resource "aws_elasticache_cluster" {
    defaults = { cache_nodes = [{ id = "0001", address = "mock.cache.amazonaws.com", port = 6379, availability_zone = "us-east-1a" }] }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/smartpay-api/access" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555", key_id = "11111111-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:smartpay-alarms" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_resource "aws_cognito_user_pool" {
    defaults = { id = "us-east-1_mock0001", endpoint = "cognito-idp.us-east-1.amazonaws.com/us-east-1_mock0001" }
  }
}

variables {
  target           = "local"
  aws_endpoint_url = "http://127.0.0.1:4566"
  enable_cache     = false
  redis_url        = "redis://127.0.0.1:6379/0"
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

  assert {
    condition     = output.kms_key_alias == "alias/smartpay-data" && output.kms_key_arn != ""
    error_message = "The platform key is alias/<prefix>-data."
  }

  assert {
    condition = alltrue([
      for sid in ["AccountIamPolicies", "EventBridgeToEncryptedQueues", "CloudWatchAlarmsToEncryptedTopic", "CloudWatchLogsOfThisAccount"] :
      contains([for st in jsondecode(module.kms_key.policy).Statement : st.Sid], sid)
    ])
    error_message = "The key policy lets EventBridge (queues), CloudWatch (alarm topic) and CloudWatch Logs use the key."
  }

  assert {
    condition     = output.alarm_topic_arn == aws_sns_topic.alarms[0].arn && aws_sns_topic.alarms[0].kms_master_key_id == output.kms_key_arn
    error_message = "Without alarm_topic_arn the platform creates an encrypted <prefix>-alarms topic."
  }

  assert {
    condition     = output.api_throttling == { rate_limit = 100, burst_limit = 200 }
    error_message = "The stage throttles each route at 100 req/s, burst 200, by default."
  }
}

run "existing_alarm_topic_and_route_throttling" {
  command = plan

  variables {
    alarm_topic_arn            = "arn:aws:sns:us-east-1:123456789012:oncall"
    api_throttling_rate_limit  = 10
    api_throttling_burst_limit = 20
    api_route_throttling       = { "POST /pay" = { rate_limit = 5, burst_limit = 10 } }
  }

  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:us-east-1:123456789012:oncall" && length(aws_sns_topic.alarms) == 0
    error_message = "A given alarm topic is used, none created."
  }

  assert {
    condition     = output.api_throttling == { rate_limit = 10, burst_limit = 20 }
    error_message = "The throttling variables reach the stage."
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

  assert {
    condition     = output.redis_url == "redis://mock.cache.amazonaws.com:6379/0"
    error_message = "With the cache, the functions' Redis is the cache."
  }

  assert {
    condition     = output.api_rate_limit_per_second == 50 && output.api_rate_limit_burst == 100
    error_message = "The per-merchant rate limit is on by default."
  }
}

run "local_redis_without_the_cache" {
  command = apply

  assert {
    condition     = output.redis_url == "redis://127.0.0.1:6379/0"
    error_message = "Without the cache, the functions' Redis is var.redis_url."
  }
}

run "no_cache_and_no_redis_url_fails_the_plan" {
  command = plan

  variables {
    redis_url = ""
  }

  expect_failures = [output.redis_url]
}

run "rejects_unknown_target" {
  command = plan

  variables {
    target = "production"
  }

  expect_failures = [var.target]
}

# No default emulator address (local.tfvars names no port): the local target without one is refused.
run "local_target_needs_an_endpoint" {
  command = plan

  variables {
    aws_endpoint_url = ""
  }

  expect_failures = [var.aws_endpoint_url]
}
