# Producers come from every manifest's `emits`: each rule accepts its event type only from the
# sources of the services that emit it (one or several), the roles may put only their own `emits`,
# and a subscription to a type nobody emits fails the plan.

mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/mock" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mock", version = "1" }
  }
  mock_resource "aws_lambda_alias" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mock:v1_0_0" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:mock" }
  }
}

variables {
  service_dir     = "tests/fixtures/bus/consumer"
  bus_arn         = "arn:aws:events:us-east-1:123456789012:event-bus/smartpay-bus"
  lambda_zip_path = "main.tf"   # any existing file: the mocked provider never reads it
  lambda_runtime  = "python3.8" # what provider 3.39 knows
}

run "rules_pin_each_type_to_its_producers" {
  command = apply

  assert {
    condition     = jsondecode(output.rules["thing.made"].event_pattern).source == ["smartpay.maker"]
    error_message = "One producer: the rule accepts exactly its source."
  }

  assert {
    condition     = jsondecode(output.rules["thing.checked"].event_pattern).source == ["smartpay.checka", "smartpay.checkb"]
    error_message = "Several producers: the rule accepts each of their sources, and no other."
  }

  assert {
    condition     = jsondecode(output.rules["thing.checked"].event_pattern).detail == { data = { ok = [true] } } && jsondecode(output.rules["thing.checked"].event_pattern)["replay-name"] == [{ exists = false }]
    error_message = "The detail filter and the replay exclusion stay."
  }

  assert {
    condition     = jsonencode(output.producers) == jsonencode({ "thing.checked" = ["smartpay.checka", "smartpay.checkb"], "thing.made" = ["smartpay.maker"] })
    error_message = "producers output: sources by subscribed event type."
  }

  assert {
    condition     = alltrue([for policy in [output.worker_policy] : one([for st in jsondecode(policy).Statement : st.Condition.StringEquals if st.Sid == "PublishAsOwnSource"]) == { "events:source" = "smartpay.consumer", "events:detail-type" = ["consumer.done", "consumer.started"] }])
    error_message = "The role may put only its own emits (sorted, once each), as its own source."
  }
}

run "a_subscription_nobody_emits_fails_the_plan" {
  command = plan

  variables {
    service_dir = "tests/fixtures/orphan/consumer"
  }

  expect_failures = [output.rules]
}

run "manifests_dir_replaces_the_parent_directory" {
  command = plan

  variables {
    manifests_dir = "tests/fixtures/orphan" # the bus's producers are not there
  }

  expect_failures = [output.rules]
}

run "the_api_settings_reach_the_api_function_only" {
  command = apply

  variables {
    environment_variables     = { THING_TABLE = "t" }
    api_environment_variables = { SMARTPAY_API_RATE_LIMIT_PER_SECOND = "5" }
  }

  assert {
    condition     = jsonencode(output.environments) == jsonencode({ worker = { SMARTPAY_BUS_NAME = "smartpay-bus", SMARTPAY_NAME_PREFIX = "smartpay", THING_TABLE = "t" } })
    error_message = "A worker (this fixture has no API) gets the platform and service keys, never the API's."
  }
}
