# `terraform test` with a mocked AWS provider: the chat root built from services/chat/manifest.json.

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
    defaults = { arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-chat", repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-chat" }
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
    condition     = output.queue_name == "smartpay-chat" && output.dlq_name == "smartpay-chat-dlq"
    error_message = "Queue and DLQ must be <prefix>-<service> and <prefix>-<service>-dlq."
  }

  assert {
    condition     = sort(keys(output.rules)) == sort([for s in jsondecode(file("../../../../services/chat/manifest.json")).subscriptions : s.event_type])
    error_message = "One rule per manifest subscription."
  }

  assert {
    condition     = alltrue([for event_type, rule in output.rules : rule.name == "smartpay-chat-${replace(event_type, "/[._]/", "-")}"])
    error_message = "Rule names must be <prefix>-<service>-<event type with . and _ as ->."
  }

  assert {
    condition = alltrue([for event_type, rule in output.rules : (
      jsonencode(jsondecode(rule.event_pattern).source) == jsonencode(lookup({ "payment.requested" = ["smartpay.payment"], "payment.completed" = ["smartpay.payment"], "payment.refunded" = ["smartpay.payment"] }, event_type, [])) &&
      jsondecode(rule.event_pattern)["detail-type"] == [event_type] &&
      jsondecode(rule.event_pattern)["replay-name"] == [{ exists = false }]
    )])
    error_message = "Each pattern: only its producer's source, its detail-type, and no replayed events."
  }

  assert {
    condition = alltrue([for s in jsondecode(file("../../../../services/chat/manifest.json")).subscriptions : (
      lookup(s, "detail_filter", null) == null
      ? !contains(keys(jsondecode(output.rules[s.event_type].event_pattern)), "detail")
      : jsondecode(output.rules[s.event_type].event_pattern).detail == s.detail_filter
    )])
    error_message = "A manifest detail_filter must be the pattern's detail, and only then."
  }

  assert {
    condition     = output.alias_name == "v${replace(trimspace(file("../../../../services/chat/VERSION")), ".", "_")}" && output.functions.worker.alias == output.alias_name
    error_message = "The alias is named after services/chat/VERSION (0.1.0 -> v0_1_0)."
  }

  assert {
    condition     = length(output.event_source_mapping_uuids) == 0
    error_message = "No event source mapping locally: moto's would swallow the messages."
  }

  assert {
    condition     = sort(output.route_keys) == sort([for r in jsondecode(file("../../../../services/chat/manifest.json")).routes : "${r.method} ${r.path}"])
    error_message = "Every manifest route is on the API."
  }

  assert {
    condition     = output.tables == { chat_sessions = "smartpay-chat-sessions" }
    error_message = "Only the tables the code reads: no Powertools idempotency table (nothing uses one)."
  }

  assert {
    condition     = strcontains(output.queue_policy, "events.amazonaws.com") && strcontains(output.queue_policy, "sqs:SendMessage")
    error_message = "The queue policy must let EventBridge deliver."
  }

  assert {
    condition     = one([for st in jsondecode(output.worker_policy).Statement : st.Condition.StringEquals["events:source"] if st.Sid == "PublishAsOwnSource"]) == "smartpay.chat"
    error_message = "The worker may only PutEvents as smartpay.chat."
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
}

run "search_domain_only_when_enabled" {
  command = apply

  variables {
    enable_search_domain = true
  }

  assert {
    condition     = output.search_endpoint != "" && output.tables.chat_sessions == "smartpay-chat-sessions"
    error_message = "The search domain exists when enabled."
  }
}

run "no_search_domain_locally" {
  command = plan

  variables {
    enable_search_domain = false
  }

  assert {
    condition     = output.search_endpoint == ""
    error_message = "No search domain locally."
  }
}

run "encrypted_and_alarmed" {
  command = apply

  assert {
    condition     = output.dlq_alarm_name == "smartpay-chat-dlq-depth"
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

# The keys ChatSettings marks as deployed (tests/contract compares a real apply with the classes).
run "environment_contract_with_the_search_domain" {
  command = apply

  variables {
    enable_search_domain = true
  }

  assert {
    condition     = output.environments.worker.CHAT_INDEX_BACKEND == "opensearch" && output.environments.worker.CHAT_OPENSEARCH_ENDPOINT == "https://${output.search_endpoint}" && output.environments.api.CHAT_OPENSEARCH_AUTH == "sigv4"
    error_message = "With the search domain both functions use it (signed), never a DuckDB file in /tmp."
  }

  assert {
    condition     = output.environments.api.CHAT_SESSIONS_TABLE == "smartpay-chat-sessions"
    error_message = "The API reads the sessions table under CHAT_*."
  }
}

run "environment_contract_embedded" {
  command = apply

  variables {
    enable_search_domain = false
  }

  assert {
    condition     = output.environments.worker.CHAT_INDEX_BACKEND == "embedded" && !contains(keys(output.environments.worker), "CHAT_OPENSEARCH_ENDPOINT")
    error_message = "Without the search domain: the embedded index, and no endpoint key."
  }
}
