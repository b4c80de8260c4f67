# Service root: rewards (the points ledger and the balances). Own state; reads the platform's outputs through
# terraform_remote_state; subscriptions, routes, functions and version come from services/rewards.
#
# The worker applies payment.captured and payment.refunded to the ledger (one TransactWriteItems per event);
# the API reads a customer's balance and history, links wallets (challenges) and redeems through the venue
# (the pool on chain, or a centralised exchange through ccxt: exchange.tf);
# the scheduled `minter` mints what the ledger owes to linked wallets (the mint journal). Nothing is emitted.

data "terraform_remote_state" "platform" {
  backend = var.platform_state_backend
  config  = var.platform_state_config
}

locals {
  platform = data.terraform_remote_state.platform.outputs
  prefix   = local.platform.name_prefix
  # Encryption at rest and alarms come from the platform (null / "" with an older platform state).
  kms_key_arn     = lookup(local.platform, "kms_key_arn", null)
  alarm_topic_arn = lookup(local.platform, "alarm_topic_arn", "")
  tags            = merge(var.tags, { "smartpay:root" = "services/rewards", "smartpay:target" = var.target })

  # The environment contract (docs/terraform.md): every key below is read by a settings class of the
  # function (smartpay_rewards.config; the API's in smartpay_shared.config.ApiSettings), and every
  # setting those classes mark as deployed is here. tests/contract checks it against an apply on moto.
  redis_url = lookup(local.platform, "redis_url", "")
  api_environment = {
    SMARTPAY_API_RATE_LIMIT_PER_SECOND = tostring(lookup(local.platform, "api_rate_limit_per_second", 0))
    SMARTPAY_API_RATE_LIMIT_BURST      = tostring(lookup(local.platform, "api_rate_limit_burst", 100))
    SMARTPAY_API_REDIS_URL             = local.redis_url
  }
  environment = merge({
    REWARDS_LEDGER_TABLE          = module.ledger_table.name
    REWARDS_ACCOUNTS_TABLE        = module.accounts_table.name
    REWARDS_DEFAULT_EARN_RATE     = var.default_earn_rate
    REWARDS_MERCHANT_EARN_RATES   = jsonencode(var.merchant_earn_rates)
    REWARDS_CHALLENGES_TABLE      = module.challenges_table.name
    REWARDS_MINT_JOURNAL_TABLE    = module.mint_journal_table.name
    REWARDS_SOLANA_RPC_URL        = var.solana_rpc_url
    REWARDS_EXCHANGE_VENUE        = var.exchange_venue
    REWARDS_MINT_BATCH_SIZE       = tostring(var.mint_batch_size)
    REWARDS_OFFER_DECISIONS_TABLE = module.offer_decisions_table.name
    REWARDS_OFFER_MODEL_S3_URI    = var.offer_model_s3_uri
  }, local.secret_environment, local.exchange_environment)
  # The offer checkpoint's object, as an ARN (none when the uniform policy serves).
  offer_model_arn = var.offer_model_s3_uri == "" ? "" : "arn:aws:s3:::${trimprefix(var.offer_model_s3_uri, "s3://")}"
  # Per function, what its code does (smartpay_rewards.adapters.dynamodb): the worker reads the accounts (the
  # merchant's category among them) and the decision log (the offer standing at capture), and writes ledger
  # entries, balances, payment records and event markers in one transaction; the API reads.
  # The API links wallets (challenges; a wallet item) and redeems (a REDEEM entry, the redemption, a reversal);
  # the minter writes MINTED markers with the journal's outcome, holds the mint-run lease, reads the wallets.
  policy_statements = concat([
    {
      sid       = "LedgerAppend"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:Query"]
      resources = [module.ledger_table.arn, module.accounts_table.arn, "${module.ledger_table.arn}/index/*"]
      functions = ["worker", "api", "minter"]
    },
    {
      # An event's reads (its marker, the payment record, the account, the merchant's category): one BatchGetItem.
      sid       = "EventReads"
      actions   = ["dynamodb:BatchGetItem"]
      resources = [module.accounts_table.arn]
      functions = ["worker"]
    },
    {
      sid       = "WalletChallenges"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      resources = [module.challenges_table.arn]
      functions = ["api"]
    },
    {
      sid       = "MintRun"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:ConditionCheckItem"]
      resources = [module.mint_journal_table.arn, module.accounts_table.arn]
      functions = ["minter"]
    },
    {
      # The API picks a customer's offer and logs the decision (append-only, conditioned on its absence).
      sid       = "OfferDecisions"
      actions   = ["dynamodb:PutItem", "dynamodb:Query"]
      resources = [module.offer_decisions_table.arn]
      functions = ["api"]
    },
    {
      # The worker pays the bonus of the offer standing for the customer at capture time (one Query).
      sid       = "OfferDecisionsRead"
      actions   = ["dynamodb:Query"]
      resources = [module.offer_decisions_table.arn]
      functions = ["worker"]
    },
    ], [for arn in compact([local.offer_model_arn]) : {
      sid       = "OfferModel"
      actions   = ["s3:GetObject"]
      resources = [arn]
      functions = ["api"]
  }], local.secret_policy_statements, local.exchange_policy_statements)
}

# The append-only ledger: `<merchant>#<customer>` + a deterministic entry id (every Put is conditioned on
# its absence); the local index `by_seq` reads a customer's history in order, strongly consistent.
module "ledger_table" {
  source = "../../modules/dynamodb_table"

  name                    = "${local.prefix}-rewards-ledger"
  hash_key                = "account_key"
  range_key               = "entry_id"
  local_secondary_indexes = [{ name = "by_seq", range_key = "seq", range_key_type = "N" }]
  point_in_time_recovery  = var.point_in_time_recovery
  deletion_protection     = var.deletion_protection
  kms_key_arn             = local.kms_key_arn
  tags                    = local.tags
}

# Balances (one item per merchant and customer), payment records and the markers of applied events.
module "accounts_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-rewards-accounts"
  hash_key               = "pk"
  range_key              = "sk"
  point_in_time_recovery = var.point_in_time_recovery
  deletion_protection    = var.deletion_protection
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

# Wallet-link challenges: one per merchant and nonce, consumed by a conditional update; expired ones removed
# by the TTL on `expires_at` (epoch seconds).
module "challenges_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-rewards-challenges"
  hash_key               = "merchant_id"
  range_key              = "nonce"
  ttl_attribute          = "expires_at"
  point_in_time_recovery = var.point_in_time_recovery
  deletion_protection    = var.deletion_protection
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

# The mint journal: one item per batch, `pending` written before the transaction is sent, then `minted`
# (in the same transaction as the ledger's MINTED markers) or `failed`.
module "mint_journal_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-rewards-mint-journal"
  hash_key               = "batch_id"
  point_in_time_recovery = var.point_in_time_recovery
  deletion_protection    = var.deletion_protection
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

# The offer decision log: `<merchant>#<customer>` + `<UTC time>#<decision id>`, so a customer's decisions read
# newest first by one query; OPE reads the whole table (docs/rewards-offers.md).
module "offer_decisions_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-rewards-offer-decisions"
  hash_key               = "pk"
  range_key              = "sk"
  point_in_time_recovery = var.point_in_time_recovery
  deletion_protection    = var.deletion_protection
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

module "service" {
  source = "../../modules/service"

  service_dir                   = "${path.module}/../../../../services/rewards"
  name_prefix                   = local.platform.name_prefix
  bus_name                      = local.platform.bus_name
  bus_arn                       = local.platform.bus_arn
  api_id                        = local.platform.api_id
  api_execution_arn             = local.platform.api_execution_arn
  authorizer_id                 = local.platform.api_authorizer_id
  lambda_zip_path               = var.lambda_zip_path
  package_type                  = var.package_type
  image_tag                     = var.image_tag
  artifact_bucket               = lookup(local.platform, "artifact_bucket", "")
  lambda_runtime                = var.lambda_runtime
  lambda_layers                 = var.lambda_layers
  lambda_timeout                = var.lambda_timeout
  visibility_timeout_seconds    = var.visibility_timeout_seconds
  max_receive_count             = var.max_receive_count
  ignore_redrive_policy_changes = var.target == "local"
  enable_event_source_mapping   = var.enable_event_source_mapping
  log_retention_in_days         = var.log_retention_in_days
  immutable_releases            = var.immutable_releases
  subnet_ids                    = var.subnet_ids
  security_group_ids            = var.security_group_ids
  environment_variables         = local.environment
  api_environment_variables     = local.api_environment
  policy_statements             = local.policy_statements
  kms_key_arn                   = local.kms_key_arn
  alarm_topic_arn               = local.alarm_topic_arn
  tags                          = local.tags
}
