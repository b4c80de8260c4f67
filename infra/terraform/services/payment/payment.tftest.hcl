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
  deletion_protection         = false     # as local.tfvars: the runs' state must be destroyable
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
    condition     = keys(output.tables) == ["idempotency_keys", "payments"] && module.payments_table.stream_arn == ""
    error_message = "Only the tables the code reads (no Powertools idempotency table), and no stream on the payments table (nothing reads one)."
  }

  assert {
    condition     = !module.payments_table.deletion_protected
    error_message = "local.tfvars' deletion_protection = false: no guard on an emulator's table."
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

# Plan only: a protected table cannot be destroyed, and `terraform test` destroys its state at the end.
run "aws_target_protects_the_payments_table" {
  command = plan

  variables {
    target              = "aws"
    aws_endpoint_url    = ""
    deletion_protection = true
  }

  assert {
    condition     = module.payments_table.deletion_protected
    error_message = "With deletion_protection the payments table is held by the deletion guard."
  }
}

# The sweeper (saga deadlines, pending refunds, unsent outbox events) is a scheduled function of its own.
run "sweeper_on_a_schedule" {
  command = apply

  assert {
    condition     = output.functions.sweeper.name == "smartpay-payment-sweeper" && output.functions.sweeper.handler == "smartpay_payment.entrypoints.sweeper.lambda_handler"
    error_message = "The manifest's scheduled sweeper is deployed as <prefix>-payment-sweeper with the sweeper handler."
  }

  assert {
    condition     = output.functions.sweeper.schedule == "rate(1 minute)" && output.functions.sweeper.schedule_rule == "smartpay-payment-sweeper" && output.functions.worker.schedule == null
    error_message = "An EventBridge schedule named after the function invokes it; the worker has none."
  }

  assert {
    condition     = output.environments.sweeper == output.environments.worker
    error_message = "The sweeper reads the settings the worker reads."
  }
}

# Each role holds what its function does, and nothing of the others'.
run "least_privilege_per_function" {
  command = apply

  assert {
    condition     = [for kind in ["worker", "api", "sweeper"] : contains([for st in jsondecode(output.policies[kind]).Statement : st.Sid], "ConsumeOwnQueue")] == [true, false, false]
    error_message = "Only the worker may consume the queue."
  }

  assert {
    condition     = [for kind in ["worker", "api", "sweeper"] : contains(flatten([for st in jsondecode(output.policies[kind]).Statement : st.Action]), "dynamodb:Scan")] == [false, false, true]
    error_message = "Only the sweeper scans the payments table."
  }

  assert {
    condition     = [for kind in ["worker", "api", "sweeper"] : contains([for st in jsondecode(output.policies[kind]).Statement : st.Sid], "IdempotencyKeys")] == [false, true, false]
    error_message = "Only the API holds Idempotency-Key records."
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
    condition     = alltrue([for policy in values(output.policies) : one([for st in jsondecode(policy).Statement : st.Resource if st.Sid == "UsePlatformKey"]) == ["arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"]])
    error_message = "Each role may use the platform key, and only it."
  }

  assert {
    condition     = alltrue([for policy in values(output.policies) : alltrue([for st in jsondecode(policy).Statement : !(contains(flatten([st.Action]), "*") || anytrue([for a in flatten([st.Action]) : endswith(a, ":*")]))])])
    error_message = "No wildcard action in any statement."
  }

  assert {
    condition     = alltrue([for policy in values(output.policies) : alltrue([for st in jsondecode(policy).Statement : st.Resource != ["*"] || contains(["XRay", "VpcNetworkInterfaces"], st.Sid)])])
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
    condition = alltrue([for policy in values(output.policies) : (
      toset(one([for st in jsondecode(policy).Statement : st.Resource if st.Sid == "GatewaySecrets"])) == toset([for s in output.secrets : s.arn]) &&
      one([for st in jsondecode(policy).Statement : st.Action if st.Sid == "GatewaySecrets"]) == ["secretsmanager:GetSecretValue"]
    )])
    error_message = "Every payment role (worker, API, sweeper) may GetSecretValue on exactly the gateway secrets, nothing else of Secrets Manager."
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

# No default emulator address: the local target without one is refused, never sent to a fixed port.
run "local_target_needs_an_endpoint" {
  command = plan

  variables {
    aws_endpoint_url = ""
  }

  expect_failures = [var.aws_endpoint_url]
}
