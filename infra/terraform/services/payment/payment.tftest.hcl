# `terraform test` with a mocked AWS provider: the payment root built from services/payment/manifest.json.

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
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mock-AbCdEf" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
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
  lambda_runtime              = "python3.8"
  lambda_timeout              = 5
  visibility_timeout_seconds  = 5
  max_receive_count           = 3
  enable_event_source_mapping = false
  lambda_zip_path             = "main.tf" # any existing file: the mocked provider never reads it
}

run "local_target" {
  command = apply

  assert {
    condition     = output.queue_name == "smartpay-payment" && output.dlq_name == "smartpay-payment-dlq"
    error_message = "Queue and DLQ must be <prefix>-<service> and <prefix>-<service>-dlq."
  }

  assert {
    condition     = sort(keys(output.rules)) == sort([for s in jsondecode(file("../../../../services/payment/manifest.json")).subscriptions : s.event_type])
    error_message = "One rule per manifest subscription."
  }

  assert {
    condition     = alltrue([for event_type, rule in output.rules : rule.name == "smartpay-payment-${replace(event_type, "/[._]/", "-")}"])
    error_message = "Rule names must be <prefix>-<service>-<event type with . and _ as ->."
  }

  assert {
    condition = alltrue([for event_type, rule in output.rules : (
      jsonencode(jsondecode(rule.event_pattern).source) == jsonencode(lookup({ "payment.requested" = ["smartpay.payment"], "fraud.assessed" = ["smartpay.fraud"], "route.selected" = ["smartpay.routing"], "route.unavailable" = ["smartpay.routing"], "payment.indexed" = ["smartpay.chat"] }, event_type, [])) &&
      jsondecode(rule.event_pattern)["detail-type"] == [event_type] &&
      jsondecode(rule.event_pattern)["replay-name"] == [{ exists = false }]
    )])
    error_message = "Each pattern: only its producer's source, its detail-type, and no replayed events."
  }

  assert {
    condition = alltrue([for s in jsondecode(file("../../../../services/payment/manifest.json")).subscriptions : (
      lookup(s, "detail_filter", null) == null
      ? !contains(keys(jsondecode(output.rules[s.event_type].event_pattern)), "detail")
      : jsondecode(output.rules[s.event_type].event_pattern).detail == s.detail_filter
    )])
    error_message = "A manifest detail_filter must be the pattern's detail, and only then."
  }

  assert {
    condition     = output.alias_name == "v${replace(trimspace(file("../../../../services/payment/VERSION")), ".", "_")}" && output.functions.worker.alias == output.alias_name
    error_message = "The alias is named after services/payment/VERSION (0.1.0 -> v0_1_0)."
  }

  assert {
    condition     = length(output.event_source_mapping_uuids) == 0
    error_message = "No event source mapping locally: moto's would swallow the messages."
  }

  assert {
    condition     = sort(output.route_keys) == sort([for r in jsondecode(file("../../../../services/payment/manifest.json")).routes : "${r.method} ${r.path}"])
    error_message = "Every manifest route is on the API."
  }

  assert {
    condition     = output.tables.idempotency == "smartpay-payment-idempotency"
    error_message = "Powertools idempotency table must be <prefix>-<service>-idempotency."
  }

  assert {
    condition     = strcontains(output.queue_policy, "events.amazonaws.com") && strcontains(output.queue_policy, "sqs:SendMessage")
    error_message = "The queue policy must let EventBridge deliver."
  }

  assert {
    condition     = one([for st in jsondecode(output.worker_policy).Statement : st.Condition.StringEquals["events:source"] if st.Sid == "PublishAsOwnSource"]) == "smartpay.payment"
    error_message = "The worker may only PutEvents as smartpay.payment."
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

run "payment_tables" {
  command = plan

  assert {
    condition     = output.tables.payments == "smartpay-payments" && output.tables.idempotency_keys == "smartpay-payment-idempotency-keys"
    error_message = "Payment tables."
  }
}

run "encrypted_and_alarmed" {
  command = apply

  assert {
    condition     = output.dlq_alarm_name == "smartpay-payment-dlq-depth"
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

run "gateway_secrets" {
  command = apply

  assert {
    condition = output.secret_environment == {
      PAYMENT_STRIPE_SECRET_ID           = "smartpay/payment/stripe"
      PAYMENT_AMAZON_PAY_SECRET_ID       = "smartpay/payment/amazon-pay"
      PAYMENT_SOLANA_FEE_PAYER_SECRET_ID = "smartpay/payment/solana-fee-payer"
    }
    error_message = "Three gateway secrets, named in the worker environment."
  }

  assert {
    condition     = alltrue([for secret in aws_secretsmanager_secret.gateway : secret.kms_key_id == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"])
    error_message = "The secrets are encrypted with the platform key."
  }

  assert {
    condition = alltrue([for policy in [output.worker_policy, output.api_policy] : (
      toset(one([for st in jsondecode(policy).Statement : st.Resource if st.Sid == "GatewaySecrets"])) == toset([for s in output.secrets : s.arn]) &&
      one([for st in jsondecode(policy).Statement : st.Action if st.Sid == "GatewaySecrets"]) == ["secretsmanager:GetSecretValue"]
    )])
    error_message = "Both payment roles may GetSecretValue on exactly the gateway secrets, nothing else of Secrets Manager."
  }

  assert {
    condition     = length([for st in jsondecode(output.worker_policy).Statement : st if length(regexall("secretsmanager", jsonencode(st))) > 0]) == 1
    error_message = "GatewaySecrets is the only Secrets Manager statement."
  }
}

# The keys PaymentSettings marks as deployed (tests/contract compares a real apply with the classes).
run "environment_contract" {
  command = apply

  assert {
    condition     = output.environments.worker.PAYMENT_PAYMENTS_TABLE == "smartpay-payments" && output.environments.worker.PAYMENT_IDEMPOTENCY_TABLE == "smartpay-payment-idempotency-keys"
    error_message = "The payment functions read the payment tables under PAYMENT_*."
  }

  assert {
    condition     = output.environments.api.PAYMENT_STRIPE_API_BASE == "https://api.stripe.com" && output.environments.api.PAYMENT_AMAZON_PAY_ENDPOINT == "https://pay-api.amazon.com" && output.environments.api.PAYMENT_SOLANA_RPC_URL == "https://api.devnet.solana.com" && output.environments.api.PAYMENT_FAULT_INJECTION == "false"
    error_message = "Off the local target the gateways are the real providers, and no fault is honoured."
  }
}
