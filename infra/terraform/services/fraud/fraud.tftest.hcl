# `terraform test` with a mocked AWS provider: the fraud root built from services/fraud/manifest.json.

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
  mock_resource "aws_ecr_repository" {
    defaults = { arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-fraud", repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-fraud" }
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
    condition     = !output.buckets_require_tls.model_registry
    error_message = "The local emulator serves plain HTTP: no TLS-only bucket policy there."
  }

  assert {
    condition     = output.queue_name == "smartpay-fraud" && output.dlq_name == "smartpay-fraud-dlq"
    error_message = "Queue and DLQ must be <prefix>-<service> and <prefix>-<service>-dlq."
  }

  assert {
    condition     = sort(keys(output.rules)) == sort([for s in jsondecode(file("../../../../services/fraud/manifest.json")).subscriptions : s.event_type])
    error_message = "One rule per manifest subscription."
  }

  assert {
    condition     = alltrue([for event_type, rule in output.rules : rule.name == "smartpay-fraud-${replace(event_type, "/[._]/", "-")}"])
    error_message = "Rule names must be <prefix>-<service>-<event type with . and _ as ->."
  }

  assert {
    condition = alltrue([for event_type, rule in output.rules : (
      jsonencode(jsondecode(rule.event_pattern).source) == jsonencode(lookup({ "payment.requested" = ["smartpay.payment"], "payment.disputed" = ["smartpay.payment"], "fraud.reported" = ["smartpay.fraud"] }, event_type, [])) &&
      jsondecode(rule.event_pattern)["detail-type"] == [event_type] &&
      jsondecode(rule.event_pattern)["replay-name"] == [{ exists = false }]
    )])
    error_message = "Each pattern: only its producer's source, its detail-type, and no replayed events."
  }

  assert {
    condition = alltrue([for s in jsondecode(file("../../../../services/fraud/manifest.json")).subscriptions : (
      lookup(s, "detail_filter", null) == null
      ? !contains(keys(jsondecode(output.rules[s.event_type].event_pattern)), "detail")
      : jsondecode(output.rules[s.event_type].event_pattern).detail == s.detail_filter
    )])
    error_message = "A manifest detail_filter must be the pattern's detail, and only then."
  }

  assert {
    condition     = output.alias_name == "v${replace(trimspace(file("../../../../services/fraud/VERSION")), ".", "_")}" && output.functions.worker.alias == output.alias_name
    error_message = "The alias is named after services/fraud/VERSION (0.1.0 -> v0_1_0)."
  }

  assert {
    condition     = length(output.event_source_mapping_uuids) == 0
    error_message = "No event source mapping locally: moto's would swallow the messages."
  }

  assert {
    condition     = sort(output.route_keys) == sort([for r in jsondecode(file("../../../../services/fraud/manifest.json")).routes : "${r.method} ${r.path}"])
    error_message = "Every manifest route is on the API."
  }

  assert {
    condition     = output.tables == {}
    error_message = "Only the tables the code reads: no Powertools idempotency table (nothing uses one)."
  }

  assert {
    condition     = strcontains(output.queue_policy, "events.amazonaws.com") && strcontains(output.queue_policy, "sqs:SendMessage")
    error_message = "The queue policy must let EventBridge deliver."
  }

  assert {
    condition     = one([for st in jsondecode(output.worker_policy).Statement : st.Condition.StringEquals["events:source"] if st.Sid == "PublishAsOwnSource"]) == "smartpay.fraud"
    error_message = "The worker may only PutEvents as smartpay.fraud."
  }

  assert {
    condition     = one([for st in jsondecode(output.worker_policy).Statement : st.Resource if st.Sid == "ConsumeOwnQueue"]) == [output.queue_arn]
    error_message = "The worker may only consume its own queue."
  }
}

run "aws_target_connects_the_queue" {
  command = apply

  variables {
    target                      = "aws"
    aws_endpoint_url            = ""
    lambda_timeout              = 30
    visibility_timeout_seconds  = 180
    enable_event_source_mapping = true
  }

  assert {
    condition     = length(output.event_source_mapping_uuids) == 1
    error_message = "On AWS the worker reads its queue through an event source mapping."
  }

  assert {
    condition     = output.buckets_require_tls.model_registry
    error_message = "On AWS the bucket denies requests made without TLS."
  }
}

run "model_registry_bucket" {
  command = plan

  assert {
    condition     = output.buckets.model_registry == "smartpay-fraud-models"
    error_message = "Model registry bucket name."
  }
}

run "encrypted_and_alarmed" {
  command = apply

  assert {
    condition     = output.dlq_alarm_name == "smartpay-fraud-dlq-depth"
    error_message = "The DLQ has a depth alarm."
  }

  assert {
    condition     = alltrue([for policy in compact([output.worker_policy, output.api_policy]) : one([for st in jsondecode(policy).Statement : st.Resource if st.Sid == "UsePlatformKey"]) == ["arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"]])
    error_message = "Each role may use the platform key, and only it."
  }

  assert {
    condition     = alltrue([for policy in compact([output.worker_policy, output.api_policy]) : alltrue([for st in jsondecode(policy).Statement : !(contains(flatten([st.Action]), "*") || anytrue([for a in flatten([st.Action]) : endswith(a, ":*")]))])])
    error_message = "No wildcard action in any statement."
  }

  assert {
    condition     = alltrue([for policy in compact([output.worker_policy, output.api_policy]) : alltrue([for st in jsondecode(policy).Statement : st.Resource != ["*"] || contains(["XRay", "VpcNetworkInterfaces"], st.Sid)])])
    error_message = "A * resource only for actions without resource-level permissions (X-Ray, VPC ENIs)."
  }
}

# The keys FraudSettings marks as deployed (tests/contract compares a real apply with the classes).
run "environment_contract" {
  command = apply

  assert {
    condition     = output.environments.worker.FRAUD_MODEL_BUCKET == "smartpay-fraud-models" && output.environments.worker.FRAUD_REDIS_URL == "redis://cache.example:6379/0"
    error_message = "The worker reads the registry bucket and the platform's Redis."
  }

  assert {
    condition     = output.environments.api.SMARTPAY_API_RATE_LIMIT_PER_SECOND == "50" && output.environments.api.SMARTPAY_API_REDIS_URL == "redis://cache.example:6379/0" && !contains(keys(output.environments.worker), "SMARTPAY_API_REDIS_URL")
    error_message = "The per-merchant rate limit reaches the API function, not the worker."
  }
}

# What `make package` builds (docs/terraform.md, "Packages"): fraud is an Image (its manifest's package_type), from
# an ECR repository of its own, tagged with the sha256 of the package zip; the local target deploys the Zip.
run "aws_target_deploys_the_image" {
  command = apply

  override_data {
    target = data.terraform_remote_state.platform
    values = {
      outputs = {
        name_prefix               = "smartpay"
        bus_name                  = "smartpay-bus"
        bus_arn                   = "arn:aws:events:us-east-1:123456789012:event-bus/smartpay-bus"
        api_id                    = "api0001"
        api_execution_arn         = "arn:aws:execute-api:us-east-1:123456789012:api0001"
        api_authorizer_id         = "auth001"
        kms_key_arn               = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
        alarm_topic_arn           = "arn:aws:sns:us-east-1:123456789012:smartpay-alarms"
        redis_url                 = "redis://cache.example:6379/0"
        api_rate_limit_per_second = 50
        api_rate_limit_burst      = 100
        artifact_bucket           = "smartpay-lambda-artifacts"
      }
    }
  }

  variables {
    target           = "aws"
    aws_endpoint_url = ""
  }

  assert {
    condition     = output.artifact.package_type == "Image" && output.artifact.image_tag == filesha256("main.tf") && output.artifact.image_uri == "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-fraud:${filesha256("main.tf")}"
    error_message = "The image's tag is the sha256 of the make-package zip (the same files as the image's /var/task)."
  }

  assert {
    condition     = alltrue([for f in output.functions : f.package_type == "Image" && f.image_uri == output.artifact.image_uri])
    error_message = "Every fraud function runs the service's image."
  }

  assert {
    condition     = jsonencode(output.functions.worker.image_command) == jsonencode(["smartpay_fraud.entrypoints.queue_consumer.lambda_handler"]) && jsonencode(output.functions.api.image_command) == jsonencode(["smartpay_fraud.entrypoints.api.lambda_handler"])
    error_message = "Each function names its handler as its command (the worker's is the image's CMD, written out)."
  }

  assert {
    condition     = output.artifact.repository.name == "smartpay-fraud" && output.artifact.repository.image_tag_mutability == "IMMUTABLE" && output.artifact.repository.scan_on_push
    error_message = "The repository: scanned on push, immutable tags."
  }

  assert {
    condition     = output.artifact.repository.encryption.encryption_type == "KMS" && output.artifact.repository.encryption.kms_key == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The repository is encrypted with the platform key."
  }

  assert {
    condition     = [for rule in jsondecode(output.artifact.repository.lifecycle_policy).rules : rule.selection.tagStatus] == ["untagged"]
    error_message = "The lifecycle policy expires untagged images only: a live alias may run any tagged one."
  }

  assert {
    condition     = jsondecode(output.artifact.repository.policy).Statement[0].Principal.Service == "lambda.amazonaws.com" && toset(jsondecode(output.artifact.repository.policy).Statement[0].Condition.ArnLike["aws:SourceArn"]) == toset(flatten([for kind in ["worker", "api"] : ["arn:aws:lambda:us-east-1:123456789012:function:smartpay-fraud-${kind}", "arn:aws:lambda:us-east-1:123456789012:function:smartpay-fraud-${kind}:*"]]))
    error_message = "Lambda may pull the image for fraud's functions (and their qualifiers) only."
  }

  assert {
    condition     = alltrue([for kind, policy in output.policies : one([for st in jsondecode(policy).Statement : st.Resource if st.Sid == "PullOwnImage"]) == ["arn:aws:ecr:us-east-1:123456789012:repository/smartpay-fraud"]])
    error_message = "Each role pulls from fraud's repository only."
  }

  assert {
    condition     = output.artifact.bucket == null && output.artifact.key == null
    error_message = "An Image puts no zip in the artifact bucket."
  }
}

run "local_target_deploys_the_zip" {
  command   = apply
  state_key = "zip" # the same alias already serves the image in the main state: one version, one artifact

  override_data {
    target = data.terraform_remote_state.platform
    values = {
      outputs = {
        name_prefix               = "smartpay"
        bus_name                  = "smartpay-bus"
        bus_arn                   = "arn:aws:events:us-east-1:123456789012:event-bus/smartpay-bus"
        api_id                    = "api0001"
        api_execution_arn         = "arn:aws:execute-api:us-east-1:123456789012:api0001"
        api_authorizer_id         = "auth001"
        kms_key_arn               = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
        alarm_topic_arn           = "arn:aws:sns:us-east-1:123456789012:smartpay-alarms"
        redis_url                 = "redis://cache.example:6379/0"
        api_rate_limit_per_second = 50
        api_rate_limit_burst      = 100
        artifact_bucket           = "smartpay-lambda-artifacts"
      }
    }
  }

  variables {
    package_type = "Zip" # local.tfvars
  }

  assert {
    condition     = output.artifact.repository == null && output.artifact.key == "fraud/${filesha256("main.tf")}.zip" && alltrue([for f in output.functions : f.package_type == "Zip" && f.image_uri == ""])
    error_message = "package_type = Zip: no repository, every function the zip from the artifact bucket."
  }

  assert {
    condition     = alltrue([for kind, policy in output.policies : length([for st in jsondecode(policy).Statement : st if st.Sid == "PullOwnImage"]) == 0])
    error_message = "A Zip's roles pull no image."
  }
}
