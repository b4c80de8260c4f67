# The redemption venue (variable exchange_venue). `pool` needs nothing here: the pool lives on chain under the
# chain keys (secrets.tf). `ccxt` adds the exchange's settings to the functions' environment and its API key as
# a secret that only the API (which settles redemptions) may read. Like the chain keys, Terraform creates the
# secret without a value: the operator puts {"api_key": "...", "secret": "..."} (docs/rewards.md, "Settings"),
# so the key never reaches a state file, a plan or the environment.

locals {
  ccxt_venue = var.exchange_venue == "ccxt"

  exchange_environment = { for key, value in {
    REWARDS_EXCHANGE_ID                = var.exchange_id
    REWARDS_EXCHANGE_POINT_VALUE       = var.exchange_point_value
    REWARDS_EXCHANGE_QUOTE_CURRENCY    = var.exchange_quote_currency
    REWARDS_EXCHANGE_API_KEY_SECRET_ID = one(aws_secretsmanager_secret.exchange_api_key[*].name)
  } : key => value if local.ccxt_venue }

  exchange_policy_statements = [for secret in aws_secretsmanager_secret.exchange_api_key : {
    sid       = "ExchangeApiKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [secret.arn]
    functions = ["api"]
  }]
}

resource "aws_secretsmanager_secret" "exchange_api_key" {
  count = local.ccxt_venue ? 1 : 0
  #checkov:skip=CKV2_AWS_57:An exchange API key is rotated on the exchange (a new key, then put-secret-value), not by a Lambda; docs/rewards.md.

  name                    = "${local.prefix}/rewards/exchange-api-key"
  description             = "API key of the ${var.exchange_id} account redemptions buy with: {\"api_key\": \"...\", \"secret\": \"...\"}."
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_in_days
  tags                    = merge(local.tags, { "smartpay:secret" = "exchange_api_key" })
}
