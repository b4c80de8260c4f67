# Service root: payment (saga state, API idempotency keys, gateway connectors). Own state; reads the platform's outputs
# through terraform_remote_state; subscriptions, routes and version come from services/payment.

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
  tags            = merge(var.tags, { "smartpay:root" = "services/payment", "smartpay:target" = var.target })

  # The environment contract (docs/terraform.md): every key below is read by a settings class of the
  # function (smartpay_fraud.config etc.; the API's in smartpay_shared.config.ApiSettings), and every
  # setting those classes mark as deployed is here. tests/contract checks it against an apply on moto.
  redis_url = lookup(local.platform, "redis_url", "")
  api_environment = {
    SMARTPAY_API_RATE_LIMIT_PER_SECOND = tostring(lookup(local.platform, "api_rate_limit_per_second", 0))
    SMARTPAY_API_RATE_LIMIT_BURST      = tostring(lookup(local.platform, "api_rate_limit_burst", 100))
    SMARTPAY_API_REDIS_URL             = local.redis_url
  }
  environment = merge({
    PAYMENT_PAYMENTS_TABLE      = module.payments_table.name
    PAYMENT_IDEMPOTENCY_TABLE   = module.idempotency_keys_table.name
    PAYMENT_STRIPE_API_BASE     = var.stripe_api_base
    PAYMENT_AMAZON_PAY_ENDPOINT = var.amazon_pay_endpoint
    PAYMENT_SOLANA_RPC_URL      = var.solana_rpc_url
    PAYMENT_FAULT_INJECTION     = tostring(var.fault_injection)
  }, local.secret_environment)
  # Per function, what its code does (smartpay_payment.adapters): every function reads and conditionally
  # writes payments (saga state, outbox, vault items); only the sweeper scans them (sweep_candidates); only
  # the API holds Idempotency-Key records; all three talk to the gateways (secrets.tf).
  policy_statements = concat([
    {
      sid       = "Payments"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      resources = [module.payments_table.arn]
      functions = ["worker", "api", "sweeper"]
    },
    {
      sid       = "SweepPayments"
      actions   = ["dynamodb:Scan"]
      resources = [module.payments_table.arn]
      functions = ["sweeper"]
    },
    {
      sid       = "IdempotencyKeys"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      resources = [module.idempotency_keys_table.arn]
      functions = ["api"]
    },
  ], local.secret_policy_statements)
}

# One item per payment: saga state plus a `version` attribute that every transition's conditional
# update checks (not a key, so nothing to declare here). No stream: nothing reads one (the sweeper scans).
# The record of every payment and its money: point-in-time recovery and deletion protection on AWS.
module "payments_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-payments"
  hash_key               = "payment_id"
  point_in_time_recovery = var.point_in_time_recovery
  deletion_protection    = var.deletion_protection
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

# Idempotency-Key header of POST /pay, scoped per merchant ("<merchant_id>#<key>" -> payment_id).
module "idempotency_keys_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-payment-idempotency-keys"
  hash_key               = "idempotency_key"
  ttl_attribute          = "expires_at"
  point_in_time_recovery = var.point_in_time_recovery
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

module "service" {
  source = "../../modules/service"

  service_dir                   = "${path.module}/../../../../services/payment"
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
