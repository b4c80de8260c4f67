# Service root: webhooks (merchants' endpoints, delivery log, delivery queue). Own state; reads the platform's
# outputs through terraform_remote_state; subscriptions, routes, functions and version come from services/webhooks.
#
# Two queues: the service queue (module.service) takes the payment outcome events; its worker records the
# deliveries and makes each one's first attempt at once (1 s timeout, a bounded pool); the delivery queue below
# carries one message per retry (DelaySeconds for the backoff) to the deliverer, so a slow merchant endpoint
# never holds up the event queue for more than a first attempt's timeout, another merchant or the payment saga.

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
  tags            = merge(var.tags, { "smartpay:root" = "services/webhooks", "smartpay:target" = var.target })

  # The environment contract (docs/terraform.md): every key below is read by a settings class of the
  # function (smartpay_fraud.config etc.; the API's in smartpay_shared.config.ApiSettings), and every
  # setting those classes mark as deployed is here. tests/contract checks it against an apply on moto.
  redis_url = lookup(local.platform, "redis_url", "")
  api_environment = {
    SMARTPAY_API_RATE_LIMIT_PER_SECOND = tostring(lookup(local.platform, "api_rate_limit_per_second", 0))
    SMARTPAY_API_RATE_LIMIT_BURST      = tostring(lookup(local.platform, "api_rate_limit_burst", 100))
    SMARTPAY_API_REDIS_URL             = local.redis_url
  }
  environment = {
    WEBHOOKS_ENDPOINTS_TABLE  = module.endpoints_table.name
    WEBHOOKS_DELIVERIES_TABLE = module.deliveries_table.name
    WEBHOOKS_DELIVERY_QUEUE   = module.delivery_queue.queue_name
    WEBHOOKS_KMS_KEY_ID       = local.kms_key_arn
    WEBHOOKS_REQUIRE_HTTPS    = tostring(var.require_https)
    WEBHOOKS_ALLOW_LOOPBACK   = tostring(var.allow_loopback)
    WEBHOOKS_REDIS_URL        = local.redis_url
    # The first attempt (by the consumer), the retry schedule and the per-endpoint caps (docs/webhooks.md).
    WEBHOOKS_FIRST_ATTEMPT_TIMEOUT_SECONDS = tostring(var.first_attempt_timeout_seconds)
    WEBHOOKS_FIRST_ATTEMPT_WIDTH           = tostring(var.first_attempt_width)
    WEBHOOKS_ENDPOINTS_CACHE_SECONDS       = tostring(var.endpoints_cache_seconds)
    WEBHOOKS_RETRY_BASE_SECONDS            = tostring(var.retry_base_seconds)
    WEBHOOKS_RETRY_FACTOR                  = tostring(var.retry_factor)
    WEBHOOKS_RETRY_CAP_SECONDS             = tostring(var.retry_cap_seconds)
    WEBHOOKS_MAX_ATTEMPTS                  = tostring(var.max_attempts)
    WEBHOOKS_ENDPOINT_MAX_CONCURRENCY      = tostring(var.endpoint_max_concurrency)
    WEBHOOKS_ENDPOINT_RATE_PER_SECOND      = tostring(var.endpoint_rate_per_second)
    WEBHOOKS_ENDPOINT_RATE_BURST           = tostring(var.endpoint_rate_burst)
  }
  # Per function, what its code does (smartpay_webhooks.adapters): the API manages endpoints (encrypting their
  # secrets) and reads the delivery log; the worker reads endpoints, records deliveries and makes their first
  # attempts; the deliverer makes the retries. Both attempting functions decrypt the secrets, record attempts
  # and may mark an endpoint failing / enabled again. All three put messages on the delivery queue, only the
  # deliverer takes them off. Decrypt and GenerateDataKey on the platform key (the deliverer opening secrets,
  # everyone using the SSE-KMS queues) are every role's already (modules/lambda_service, UsePlatformKey);
  # only the API encrypts.
  policy_statements = [
    {
      sid       = "EndpointsManage"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]
      resources = [module.endpoints_table.arn]
      functions = ["api"]
    },
    {
      sid       = "EndpointsRead"
      actions   = ["dynamodb:GetItem", "dynamodb:Query"]
      resources = [module.endpoints_table.arn]
      functions = ["worker", "deliverer"]
    },
    {
      sid       = "EndpointsStatus"
      actions   = ["dynamodb:PutItem"]
      resources = [module.endpoints_table.arn]
      functions = ["worker", "deliverer"]
    },
    {
      sid       = "Deliveries"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
      resources = [module.deliveries_table.arn]
      functions = ["worker", "api", "deliverer"]
    },
    {
      sid       = "DeliveryQueueSend"
      actions   = ["sqs:SendMessage", "sqs:GetQueueUrl"]
      resources = [module.delivery_queue.queue_arn]
      functions = ["worker", "api", "deliverer"]
    },
    {
      sid       = "DeliveryQueueConsume"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
      resources = [module.delivery_queue.queue_arn]
      functions = ["deliverer"]
    },
    {
      sid       = "SecretsSeal"
      actions   = ["kms:Encrypt"]
      resources = [local.kms_key_arn]
      functions = ["api"]
    },
  ]
}

# A merchant's endpoints: merchant_id + endpoint_id; the signing secrets only as KMS ciphertext.
module "endpoints_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-webhook-endpoints"
  hash_key               = "merchant_id"
  range_key              = "endpoint_id"
  point_in_time_recovery = var.point_in_time_recovery
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

# The delivery log: endpoint_id + a time-ordered delivery_id; items expire 30 days after creation.
module "deliveries_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-webhook-deliveries"
  hash_key               = "endpoint_id"
  range_key              = "delivery_id"
  ttl_attribute          = "expires_at"
  point_in_time_recovery = var.point_in_time_recovery
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

# One message per delivery attempt; no rule feeds it (the worker and the deliverer put the messages).
module "delivery_queue" {
  source = "../../modules/service_queue"

  name                          = "${local.prefix}-webhooks-deliveries"
  bus_name                      = local.platform.bus_name
  rules                         = {}
  visibility_timeout_seconds    = max(var.visibility_timeout_seconds, 30) # longer than an attempt (5 s timeout) locally too
  max_receive_count             = var.max_receive_count
  ignore_redrive_policy_changes = var.target == "local"
  kms_key_arn                   = local.kms_key_arn
  alarm_topic_arn               = local.alarm_topic_arn
  tags                          = local.tags
}

module "service" {
  source = "../../modules/service"

  service_dir                   = "${path.module}/../../../../services/webhooks"
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

# The deliverer takes the delivery queue's messages as they become visible (its schedule only drains what
# is left). Locally there is no mapping: `smartpay webhooks deliver --loop` polls (moto's mappings consume
# messages without running code).
resource "aws_lambda_event_source_mapping" "deliverer" {
  count = var.enable_event_source_mapping ? 1 : 0

  event_source_arn = module.delivery_queue.queue_arn
  function_name    = module.service.functions.deliverer.alias_arn
  batch_size       = 10
}
