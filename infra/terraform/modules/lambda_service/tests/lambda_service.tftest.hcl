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

  assert {
    condition     = aws_lambda_function.this.package_type == "Zip" && aws_lambda_function.this.handler == "pkg.entrypoints.queue_consumer.lambda_handler" && aws_lambda_function.this.runtime == "python3.11" && aws_lambda_function.this.image_uri == null && length(aws_lambda_function.this.image_config) == 0
    error_message = "A Zip (the default) names its handler and runtime, and has no image."
  }

  assert {
    condition     = length([for s in jsondecode(output.policy).Statement : s if s.Sid == "PullOwnImage"]) == 0
    error_message = "A Zip's role pulls no image."
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

# Image (a container image in ECR, docs/terraform.md "Packages"): no zip, handler, runtime or layers; the image's
# default command (the worker's handler) or the function's own. Its own state: another package of the same
# function would be a replacement under the same alias, which the release record refuses (checked below).
run "image_function" {
  command   = apply
  state_key = "image"

  variables {
    package_type         = "Image"
    image_uri            = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-test:0123abcd"
    image_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-test"
    image_command        = ["pkg.entrypoints.api.lambda_handler"]
    filename             = "no-such-build/lambda.zip" # an Image needs no zip
  }

  assert {
    condition     = aws_lambda_function.this.package_type == "Image" && aws_lambda_function.this.image_uri == var.image_uri && output.package_type == "Image" && output.image_uri == var.image_uri
    error_message = "An Image function runs image_uri."
  }

  assert {
    condition     = aws_lambda_function.this.handler == null && aws_lambda_function.this.runtime == null && length(coalesce(aws_lambda_function.this.layers, [])) == 0
    error_message = "An Image has no handler, runtime or layers (the image carries them)."
  }

  assert {
    condition     = aws_lambda_function.this.filename == null && aws_lambda_function.this.s3_bucket == null && aws_lambda_function.this.s3_key == null
    error_message = "An Image deploys no zip."
  }

  assert {
    condition     = jsonencode(aws_lambda_function.this.image_config[0].command) == jsonencode(["pkg.entrypoints.api.lambda_handler"])
    error_message = "image_command is the function's image_config.command."
  }

  assert {
    condition     = one([for s in jsondecode(output.policy).Statement : s if s.Sid == "PullOwnImage"]).Resource == ["arn:aws:ecr:us-east-1:123456789012:repository/smartpay-test"] && one([for s in jsondecode(output.policy).Statement : s if s.Sid == "PullOwnImage"]).Action == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    error_message = "The role pulls from its own repository only, and only the two pull actions."
  }

  assert {
    condition     = aws_lambda_alias.this.description == "v1_0_0 image ${var.image_uri}" && terraform_data.release["v1_0_0"].output == var.image_uri && output.code_sha256 == ""
    error_message = "The alias names the image it serves, and the release records it."
  }
}

run "image_default_command" {
  command   = plan
  state_key = "image"

  variables {
    package_type         = "Image"
    image_uri            = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-test:0123abcd"
    image_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-test"
    image_command        = []
  }

  assert {
    condition     = length(aws_lambda_function.this.image_config) == 0
    error_message = "Without image_command the function runs the image's CMD (the worker's handler)."
  }
}

run "image_same_alias_other_image_fails_the_plan" {
  command   = plan
  state_key = "image"

  variables {
    package_type         = "Image"
    image_uri            = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-test:4567ef01"
    image_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-test"
  }

  expect_failures = [aws_lambda_function.this]
}

run "image_needs_an_image_uri" {
  command   = plan
  state_key = "image_without_uri"

  variables {
    package_type         = "Image"
    image_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-test"
  }

  expect_failures = [aws_lambda_function.this]
}

run "image_needs_its_repository" {
  command = plan

  variables {
    package_type = "Image"
    image_uri    = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-test:0123abcd"
  }

  expect_failures = [var.image_repository_arn]
}

run "image_takes_no_layers" {
  command = plan

  variables {
    package_type         = "Image"
    image_uri            = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-test:0123abcd"
    image_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-test"
    layers               = ["arn:aws:lambda:us-east-1:123456789012:layer:deps:1"]
  }

  expect_failures = [var.layers]
}

run "image_uri_must_be_ecr" {
  command = plan

  variables {
    package_type         = "Image"
    image_uri            = "docker.io/library/python:3.11"
    image_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-test"
  }

  expect_failures = [var.image_uri]
}

run "zip_takes_no_image_uri" {
  command = plan

  variables {
    image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-test:0123abcd"
  }

  expect_failures = [var.image_uri]
}

run "zip_takes_no_image_command" {
  command = plan

  variables {
    image_command = ["pkg.entrypoints.api.lambda_handler"]
  }

  expect_failures = [var.image_command]
}

run "zip_takes_no_repository" {
  command = plan

  variables {
    image_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-test"
  }

  expect_failures = [var.image_repository_arn]
}

run "rejects_an_unknown_package_type" {
  command = plan

  variables {
    package_type = "Jar"
  }

  expect_failures = [var.package_type]
}
