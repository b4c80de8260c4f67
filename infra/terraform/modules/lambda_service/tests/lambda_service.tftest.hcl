# Alias, optional event source mapping and the least-privilege policy.

mock_provider "aws" {
  mock_resource "aws_lambda_alias" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mock:v1_0_0" }
  }
  mock_resource "aws_lambda_function" {
    defaults = { arn = "arn:aws:lambda:us-east-1:123456789012:function:mock", version = "1" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/test-fn" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/test-fn" }
  }
}

variables {
  function_name  = "test-fn"
  handler        = "pkg.entrypoints.queue_consumer.lambda_handler"
  runtime        = "python3.11"
  filename       = "main.tf" # any existing file: the mocked provider never reads it
  alias_name     = "v1_0_0"
  event_bus_arn  = "arn:aws:events:us-east-1:123456789012:event-bus/test-bus"
  event_source   = "smartpay.test"
  sqs_queue_arns = ["arn:aws:sqs:us-east-1:123456789012:test-q"]
  # Unsorted and with a duplicate: the policy lists each once, sorted.
  event_detail_types = ["test.happened", "test.done", "test.happened"]
}

run "with_mapping" {
  command = apply

  assert {
    condition     = aws_lambda_function.this.publish && aws_lambda_alias.this.name == "v1_0_0" && aws_lambda_alias.this.function_version == aws_lambda_function.this.version
    error_message = "A published version behind an alias named after the service version."
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.this) == 1 && aws_lambda_event_source_mapping.this[0].function_name == aws_lambda_alias.this.arn
    error_message = "The mapping invokes the alias."
  }

  assert {
    condition     = one([for s in jsondecode(output.policy).Statement : s.Condition.StringEquals["events:source"] if s.Sid == "PublishAsOwnSource"]) == "smartpay.test"
    error_message = "PutEvents only as its own source."
  }

  assert {
    condition     = one([for s in jsondecode(output.policy).Statement : s.Condition.StringEquals["events:detail-type"] if s.Sid == "PublishAsOwnSource"]) == ["test.done", "test.happened"]
    error_message = "PutEvents only for the event types the service emits."
  }

  assert {
    condition     = one([for s in jsondecode(output.policy).Statement : keys(s.Condition) if s.Sid == "PublishAsOwnSource"]) == ["StringEquals"]
    error_message = "One StringEquals block: source AND detail-type must both match."
  }

  assert {
    condition     = one([for s in jsondecode(output.policy).Statement : s.Resource if s.Sid == "PublishAsOwnSource"]) == ["arn:aws:events:us-east-1:123456789012:event-bus/test-bus"]
    error_message = "PutEvents only on the platform bus."
  }

  assert {
    condition     = one([for s in jsondecode(output.policy).Statement : s.Resource if s.Sid == "ConsumeOwnQueue"]) == ["arn:aws:sqs:us-east-1:123456789012:test-q"]
    error_message = "Receive/delete only on its own queue."
  }

  assert {
    condition     = alltrue([for s in jsondecode(output.policy).Statement : !contains(s.Action, "*") && !contains(s.Action, "sqs:*")])
    error_message = "No wildcard actions."
  }
}

run "emits_nothing_publishes_nothing" {
  command = apply

  variables {
    event_detail_types = []
  }

  assert {
    condition     = length([for s in jsondecode(output.policy).Statement : s if contains(s.Action, "events:PutEvents")]) == 0
    error_message = "A function that emits no event type gets no PutEvents permission."
  }
}

run "rejects_malformed_event_type" {
  command = plan

  variables {
    event_detail_types = ["payment captured"]
  }

  expect_failures = [var.event_detail_types]
}

run "without_mapping" {
  command = apply

  variables {
    enable_event_source_mapping = false
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.this) == 0
    error_message = "No mapping when disabled."
  }
}

run "rejects_numeric_alias" {
  command = plan

  variables {
    alias_name = "1"
  }

  expect_failures = [var.alias_name]
}

run "missing_zip_is_named" {
  command = plan

  variables {
    filename = "no-such-build/lambda.zip"
  }

  expect_failures = [aws_lambda_function.this]
}

run "platform_key" {
  command = apply

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = aws_lambda_function.this.kms_key_arn == var.kms_key_arn && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    error_message = "Environment and log group are encrypted with the given key."
  }

  assert {
    condition     = one([for s in jsondecode(output.policy).Statement : s.Resource if s.Sid == "UsePlatformKey"]) == [var.kms_key_arn]
    error_message = "The role may use that key and no other."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "Logs are kept a year by default."
  }
}

# Releases: the alias names the code it serves, and keeps serving it (docs/terraform.md, "Releases and rollback").
run "alias_carries_the_code_sha256" {
  command = apply

  assert {
    condition     = aws_lambda_alias.this.description == "v1_0_0 code sha256 ${filebase64sha256("main.tf")}" && output.code_sha256 == filebase64sha256("main.tf")
    error_message = "The alias description carries the zip's sha256 in Lambda's CodeSha256 form."
  }

  assert {
    condition     = terraform_data.release["v1_0_0"].output == filebase64sha256("main.tf")
    error_message = "The first zip released under the alias is recorded."
  }
}

run "same_alias_other_code_fails_the_plan" {
  command = plan

  variables {
    filename = "variables.tf" # another zip under the same alias (VERSION not bumped)
  }

  expect_failures = [aws_lambda_function.this]
}

run "a_new_version_may_carry_other_code" {
  command = plan

  variables {
    filename   = "variables.tf"
    alias_name = "v1_0_1"
  }

  assert {
    condition     = aws_lambda_alias.this.description == "v1_0_1 code sha256 ${filebase64sha256("variables.tf")}"
    error_message = "A VERSION bump is a new alias with its own code."
  }
}

run "mutable_when_asked" {
  command = plan

  variables {
    filename          = "variables.tf"
    immutable_release = false
  }

  assert {
    condition     = length(terraform_data.release) == 0
    error_message = "immutable_release = false (the local target) records nothing and refuses nothing."
  }
}

run "schedule_invokes_the_alias" {
  command = apply

  variables {
    schedule_expression = "rate(1 minute)"
    sqs_queue_arns      = []
  }

  assert {
    condition     = aws_cloudwatch_event_rule.schedule[0].name == "test-fn" && aws_cloudwatch_event_rule.schedule[0].schedule_expression == "rate(1 minute)" && aws_cloudwatch_event_rule.schedule[0].event_bus_name == "default"
    error_message = "A schedule rule on the default bus, named after the function."
  }

  assert {
    condition     = aws_cloudwatch_event_target.schedule[0].arn == aws_lambda_alias.this.arn
    error_message = "The schedule invokes the alias (the released version), not $LATEST."
  }

  assert {
    condition     = aws_lambda_permission.schedule[0].qualifier == "v1_0_0" && aws_lambda_permission.schedule[0].principal == "events.amazonaws.com" && aws_lambda_permission.schedule[0].source_arn == aws_cloudwatch_event_rule.schedule[0].arn
    error_message = "Only that rule may invoke that alias."
  }

  assert {
    condition     = length([for s in jsondecode(output.policy).Statement : s if s.Sid == "ConsumeOwnQueue"]) == 0
    error_message = "A scheduled function consumes no queue."
  }
}

run "rejects_a_malformed_schedule" {
  command = plan

  variables {
    schedule_expression = "every minute"
  }

  expect_failures = [var.schedule_expression]
}
