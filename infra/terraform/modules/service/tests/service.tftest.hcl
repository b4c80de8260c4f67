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
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/mock" }
  }
}

variables {
  service_dir     = "tests/fixtures/bus/consumer"
  bus_arn         = "arn:aws:events:us-east-1:123456789012:event-bus/smartpay-bus"
  lambda_zip_path = "main.tf" # any existing file: the mocked provider never reads it
  lambda_runtime  = "python3.11"
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

# One role per function, each holding only its own grants: the queue for the worker, PutEvents for the
# types each function puts (emits / api_emits / a scheduled function's emits), the root's statements for
# the functions they name.
run "each_function_holds_only_its_own_grants" {
  command = apply

  variables {
    service_dir = "tests/fixtures/bus/timed"
    policy_statements = [
      { sid = "Everyone", actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/t"], functions = ["worker", "api", "sweeper"] },
      { sid = "SweepOnly", actions = ["dynamodb:Scan"], resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/t"], functions = ["sweeper"] },
    ]
  }

  assert {
    condition     = jsonencode(sort(keys(output.functions))) == jsonencode(["api", "sweeper", "worker"]) && output.functions.sweeper.name == "smartpay-timed-sweeper" && output.functions.sweeper.schedule == "rate(5 minutes)"
    error_message = "The manifest's scheduled function is deployed next to the worker and the API."
  }

  assert {
    condition = { for kind, policy in output.policies : kind => sort([for st in jsondecode(policy).Statement : st.Sid]) } == {
      worker  = sort(["OwnLogGroup", "XRay", "PublishAsOwnSource", "ConsumeOwnQueue", "Everyone"])
      api     = sort(["OwnLogGroup", "XRay", "PublishAsOwnSource", "Everyone"])
      sweeper = sort(["OwnLogGroup", "XRay", "PublishAsOwnSource", "Everyone", "SweepOnly"])
    }
    error_message = "Only the worker consumes the queue; a statement reaches only the functions it names."
  }

  assert {
    condition = { for kind, policy in output.policies : kind => one([for st in jsondecode(policy).Statement : st.Condition.StringEquals["events:detail-type"] if st.Sid == "PublishAsOwnSource"]) } == {
      worker  = ["timed.started", "timed.swept"]
      api     = ["timed.started"]
      sweeper = ["timed.swept"]
    }
    error_message = "Each function may put only the event types the manifest says it puts."
  }

  assert {
    condition     = output.environments.sweeper == output.environments.worker && !contains(keys(output.environments.sweeper), "SMARTPAY_API_RATE_LIMIT_PER_SECOND")
    error_message = "A scheduled function reads the service's settings, never the API's."
  }
}

run "an_api_that_puts_nothing_may_not_put" {
  command = apply

  variables {
    service_dir = "tests/fixtures/bus/consumer"
  }

  assert {
    condition     = !contains(keys(output.policies), "api") && length(output.role_arns) == 1
    error_message = "No API, no API role."
  }
}

run "a_statement_for_an_unknown_function_fails_the_plan" {
  command = plan

  variables {
    service_dir       = "tests/fixtures/bus/timed"
    policy_statements = [{ actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/t"], functions = ["cron"] }]
  }

  expect_failures = [output.functions]
}
