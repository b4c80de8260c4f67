# `terraform test` with a mocked AWS provider: the rewards root built from services/rewards/manifest.json.

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
    defaults = { arn = "arn:aws:ecr:us-east-1:123456789012:repository/smartpay-rewards", repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/smartpay-rewards" }
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
    condition     = output.queue_name == "smartpay-rewards" && output.dlq_name == "smartpay-rewards-dlq"
    error_message = "Queue and DLQ must be <prefix>-<service> and <prefix>-<service>-dlq."
  }

  assert {
    condition     = sort(keys(output.rules)) == sort(["payment.captured", "payment.refunded"])
    error_message = "payment.captured and payment.refunded only."
  }

  assert {
    condition     = alltrue([for event_type, rule in output.rules : jsondecode(rule.event_pattern).source == ["smartpay.payment"] && jsondecode(rule.event_pattern)["replay-name"] == [{ exists = false }]])
    error_message = "Each pattern: only the payment service's source, and no replayed events."
  }

  assert {
    condition     = sort(keys(output.functions)) == sort(["api", "worker", "minter"])
    error_message = "The event consumer (worker), the API and the scheduled mint run (minter)."
  }

  assert {
    condition     = length(output.event_source_mapping_uuids) == 0
    error_message = "No event source mapping locally: moto's would swallow the messages."
  }

  assert {
    condition     = sort(output.route_keys) == sort([for r in jsondecode(file("../../../../services/rewards/manifest.json")).routes : "${r.method} ${r.path}"])
    error_message = "Every manifest route is on the API."
  }

  assert {
    condition     = output.tables == { ledger = "smartpay-rewards-ledger", accounts = "smartpay-rewards-accounts", challenges = "smartpay-rewards-challenges", mint_journal = "smartpay-rewards-mint-journal", offer_decisions = "smartpay-rewards-offer-decisions" }
    error_message = "The ledger, accounts, challenges and mint journal tables."
  }

  assert {
    condition     = { for k, v in output.secrets : k => v.name } == { mint_authority = "smartpay/rewards/mint-authority", fee_payer = "smartpay/rewards/fee-payer", pool_authority = "smartpay/rewards/pool-authority" }
    error_message = "The three keys are secrets (values put by chain-setup, never in the state)."
  }

  assert {
    condition     = length([for st in jsondecode(output.policies.worker).Statement : st if contains(flatten([st.Action]), "secretsmanager:GetSecretValue")]) == 0
    error_message = "The event worker never reads the chain keys."
  }

  assert {
    condition     = [for st in jsondecode(output.policies.worker).Statement : flatten([st.Action]) if contains(flatten([st.Resource]), module.offer_decisions_table.arn)] == [["dynamodb:Query"]]
    error_message = "The event worker reads the offer decision log (the offer standing at capture) and never writes it."
  }

  assert {
    condition     = output.exchange_api_key_secret == null && alltrue([for kind in ["worker", "api", "minter"] : length([for key in keys(output.environments[kind]) : key if startswith(key, "REWARDS_EXCHANGE_") && key != "REWARDS_EXCHANGE_VENUE"]) == 0])
    error_message = "The pool venue (the default) has no exchange secret and no ccxt settings."
  }
}

# The ccxt venue: its settings on every function, its API key a secret only the API may read.
run "ccxt_venue" {
  command = apply

  variables {
    exchange_venue       = "ccxt"
    exchange_point_value = "0.005"
  }

  assert {
    condition     = output.exchange_api_key_secret.name == "smartpay/rewards/exchange-api-key" && output.exchange_api_key_secret.env == "REWARDS_EXCHANGE_API_KEY_SECRET_ID"
    error_message = "The exchange API key is the secret <p>/rewards/exchange-api-key."
  }

  assert {
    condition     = alltrue([for kind in ["worker", "api", "minter"] : output.environments[kind].REWARDS_EXCHANGE_VENUE == "ccxt" && output.environments[kind].REWARDS_EXCHANGE_ID == "binance" && output.environments[kind].REWARDS_EXCHANGE_POINT_VALUE == "0.005" && output.environments[kind].REWARDS_EXCHANGE_QUOTE_CURRENCY == "USDT" && output.environments[kind].REWARDS_EXCHANGE_API_KEY_SECRET_ID == "smartpay/rewards/exchange-api-key"])
    error_message = "Every function gets the venue's settings and the secret's id (never the key)."
  }

  assert {
    condition     = alltrue([for kind in ["worker", "api", "minter"] : contains(flatten([for st in jsondecode(output.policies[kind]).Statement : flatten([st.Resource]) if contains(flatten([st.Action]), "secretsmanager:GetSecretValue")]), output.exchange_api_key_secret.arn) == (kind == "api")])
    error_message = "Only the API (which settles redemptions) may read the exchange API key."
  }

  assert {
    condition     = length(output.secrets) == 3
    error_message = "The chain keys are unchanged by the venue."
  }
}

run "a_bad_venue_is_refused" {
  command = plan

  variables {
    exchange_venue          = "uniswap"
    exchange_id             = "kraken"
    exchange_point_value    = "0"
    exchange_quote_currency = "usdt"
  }

  expect_failures = [var.exchange_venue, var.exchange_id, var.exchange_point_value, var.exchange_quote_currency]
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
    error_message = "On AWS the worker reads the event queue through an event source mapping."
  }
}

# The keys RewardsSettings marks as deployed (tests/contract compares a real apply with the classes).
run "environment_contract" {
  command = apply

  variables {
    default_earn_rate   = "1.5"
    merchant_earn_rates = { m_gold = "3" }
  }

  assert {
    condition     = alltrue([for kind in ["worker", "api", "minter"] : output.environments[kind].REWARDS_SOLANA_RPC_URL == "https://api.devnet.solana.com" && output.environments[kind].REWARDS_EXCHANGE_VENUE == "pool" && output.environments[kind].REWARDS_MINT_AUTHORITY_SECRET_ID == "smartpay/rewards/mint-authority" && output.environments[kind].REWARDS_MINT_JOURNAL_TABLE == "smartpay-rewards-mint-journal" && output.environments[kind].REWARDS_LEDGER_TABLE == "smartpay-rewards-ledger" && output.environments[kind].REWARDS_ACCOUNTS_TABLE == "smartpay-rewards-accounts" && output.environments[kind].REWARDS_DEFAULT_EARN_RATE == "1.5" && jsondecode(output.environments[kind].REWARDS_MERCHANT_EARN_RATES) == { m_gold = "3" }])
    error_message = "Every function reads the tables and the earn rates."
  }
}

run "a_bad_earn_rate_is_refused" {
  command = plan

  variables {
    default_earn_rate   = "0"
    merchant_earn_rates = { m_gold = "abc" }
  }

  expect_failures = [var.default_earn_rate, var.merchant_earn_rates]
}
