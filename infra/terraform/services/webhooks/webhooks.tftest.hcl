# `terraform test` with a mocked AWS provider: the webhooks root built from services/webhooks/manifest.json.

mock_provider "aws" {
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/mock" }
  }
  # Mocked values must still pass the provider's own argument validation.
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_lambda_alias" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mock:live" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mock", version = "1" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/mock" }
  }
}

override_data {
  target = data.terraform_remote_state.platform
  values = {
    outputs = {
      name_prefix       = "smartpay"
      bus_name          = "smartpay-bus"
      bus_arn           = "arn:aws:events:us-east-1:123456789012:event-bus/smartpay-bus"
      api_id            = "api0001"
      api_execution_arn = "arn:aws:execute-api:us-east-1:123456789012:api0001"
      api_authorizer_id = "auth001"
      kms_key_arn       = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
      alarm_topic_arn   = "arn:aws:sns:us-east-1:123456789012:smartpay-alarms"
      # the functions' environment (docs/terraform.md, "Environment contract")
      redis_url                 = "redis://cache.example:6379/0"
      api_rate_limit_per_second = 50
      api_rate_limit_burst      = 100
    }
  }
}

variables {
  target                      = "local"
  aws_endpoint_url            = "http://127.0.0.1:4566"
  lambda_runtime              = "python3.11"
  lambda_timeout              = 5
  visibility_timeout_seconds  = 5
  max_receive_count           = 3
  enable_event_source_mapping = false
  lambda_zip_path             = "main.tf" # any existing file: the mocked provider never reads it
}

run "local_target" {
  command = apply

  assert {
    condition     = output.queue_name == "smartpay-webhooks" && output.dlq_name == "smartpay-webhooks-dlq"
    error_message = "Queue and DLQ must be <prefix>-<service> and <prefix>-<service>-dlq."
  }

  assert {
    condition     = output.delivery_queue.name == "smartpay-webhooks-deliveries" && output.delivery_queue.dlq_name == "smartpay-webhooks-deliveries-dlq"
    error_message = "The delivery queue is apart from the event queue: <prefix>-webhooks-deliveries (+ its DLQ)."
  }

  assert {
    condition     = sort(keys(output.rules)) == sort(["payment.captured", "payment.declined", "payment.failed", "payment.refunded", "payment.disputed"])
    error_message = "Payment outcome events only."
  }

  assert {
    condition     = alltrue([for event_type, rule in output.rules : jsondecode(rule.event_pattern).source == ["smartpay.payment"] && jsondecode(rule.event_pattern)["replay-name"] == [{ exists = false }]])
    error_message = "Each pattern: only the payment service's source, and no replayed events."
  }

  assert {
    condition     = sort(keys(output.functions)) == sort(["api", "deliverer", "worker"])
    error_message = "The event consumer (worker), the API and the deliverer are separate functions."
  }

  assert {
    condition     = length(output.event_source_mapping_uuids) == 0 && length(output.deliverer_event_source_mapping_uuids) == 0
    error_message = "No event source mapping locally: moto's would swallow the messages."
  }

  assert {
    condition     = sort(output.route_keys) == sort([for r in jsondecode(file("../../../../services/webhooks/manifest.json")).routes : "${r.method} ${r.path}"])
    error_message = "Every manifest route is on the API."
  }

  assert {
    condition     = output.tables == { endpoints = "smartpay-webhook-endpoints", deliveries = "smartpay-webhook-deliveries" }
    error_message = "The endpoints and the delivery log tables."
  }

  assert {
    condition     = output.environments.deliverer.WEBHOOKS_ALLOW_LOOPBACK == "false" && output.environments.worker.WEBHOOKS_REQUIRE_HTTPS == "true"
    error_message = "Loopback and plain HTTP only when local.tfvars says so, never by default."
  }

  assert {
    condition     = one([for st in jsondecode(output.policies.deliverer).Statement : st.Resource if st.Sid == "DeliveryQueueConsume"]) == [output.delivery_queue.arn] && length([for st in jsondecode(output.policies.worker).Statement : st if st.Sid == "DeliveryQueueConsume"]) == 0
    error_message = "Only the deliverer consumes the delivery queue."
  }

  assert {
    condition     = length([for kind, policy in output.policies : kind if length([for st in jsondecode(policy).Statement : st if contains(flatten([st.Action]), "kms:Encrypt")]) > 0]) == 1 && length([for st in jsondecode(output.policies.api).Statement : st if st.Sid == "SecretsSeal"]) == 1
    error_message = "Only the API encrypts endpoint secrets."
  }
}

run "aws_target_connects_both_queues" {
  command = apply

  variables {
    target                      = "aws"
    aws_endpoint_url            = ""
    lambda_timeout              = 30
    visibility_timeout_seconds  = 180
    enable_event_source_mapping = true
  }

  assert {
    condition     = length(output.event_source_mapping_uuids) == 1 && length(output.deliverer_event_source_mapping_uuids) == 1
    error_message = "On AWS the worker reads the event queue and the deliverer the delivery queue through event source mappings."
  }
}

run "loopback_is_refused_on_aws" {
  command = plan

  variables {
    target           = "aws"
    aws_endpoint_url = ""
    allow_loopback   = true
  }

  expect_failures = [var.allow_loopback]
}

run "plain_http_is_refused_on_aws" {
  command = plan

  variables {
    target           = "aws"
    aws_endpoint_url = ""
    require_https    = false
  }

  expect_failures = [var.require_https]
}

# The keys WebhooksSettings marks as deployed (tests/contract compares a real apply with the classes).
run "environment_contract" {
  command = apply

  assert {
    condition     = alltrue([for kind in ["worker", "api", "deliverer"] : output.environments[kind].WEBHOOKS_ENDPOINTS_TABLE == "smartpay-webhook-endpoints" && output.environments[kind].WEBHOOKS_DELIVERIES_TABLE == "smartpay-webhook-deliveries" && output.environments[kind].WEBHOOKS_DELIVERY_QUEUE == "smartpay-webhooks-deliveries" && output.environments[kind].WEBHOOKS_KMS_KEY_ID == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"])
    error_message = "Every function reads the tables, the delivery queue and the platform key."
  }
}

run "caps_schedule_and_redis_reach_every_function" {
  command = apply

  variables {
    retry_base_seconds       = 1
    retry_factor             = 2
    retry_cap_seconds        = 8
    max_attempts             = 20
    endpoint_max_concurrency = 3
  }

  assert {
    condition     = alltrue([for kind in ["worker", "api", "deliverer"] : output.environments[kind].WEBHOOKS_REDIS_URL == "redis://cache.example:6379/0" && output.environments[kind].WEBHOOKS_RETRY_BASE_SECONDS == "1" && output.environments[kind].WEBHOOKS_MAX_ATTEMPTS == "20" && output.environments[kind].WEBHOOKS_ENDPOINT_MAX_CONCURRENCY == "3" && output.environments[kind].WEBHOOKS_ENDPOINT_RATE_PER_SECOND == "25" && output.environments[kind].WEBHOOKS_FIRST_ATTEMPT_TIMEOUT_SECONDS == "1"])
    error_message = "The caps, the retry schedule, the first attempt's timeout and the platform cache reach every function."
  }
}

# A short schedule is for local runs only: on AWS the retries must span 24 h.
run "a_short_retry_schedule_is_refused_on_aws" {
  command = plan

  variables {
    target             = "aws"
    aws_endpoint_url   = ""
    retry_base_seconds = 1
    retry_factor       = 2
    retry_cap_seconds  = 8
    max_attempts       = 20
  }

  expect_failures = [var.max_attempts]
}
