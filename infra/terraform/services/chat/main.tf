# Service root: chat (payment analytics, chat sessions, search domain). Own state; reads the platform's outputs
# through terraform_remote_state; subscriptions, routes and version come from services/chat.

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
  tags            = merge(var.tags, { "smartpay:root" = "services/chat", "smartpay:target" = var.target })

  # The environment contract (docs/terraform.md): every key below is read by a settings class of the
  # function (smartpay_fraud.config etc.; the API's in smartpay_shared.config.ApiSettings), and every
  # setting those classes mark as deployed is here. tests/contract checks it against an apply on moto.
  redis_url = lookup(local.platform, "redis_url", "")
  api_environment = {
    SMARTPAY_API_RATE_LIMIT_PER_SECOND = tostring(lookup(local.platform, "api_rate_limit_per_second", 0))
    SMARTPAY_API_RATE_LIMIT_BURST      = tostring(lookup(local.platform, "api_rate_limit_burst", 100))
    SMARTPAY_API_REDIS_URL             = local.redis_url
  }
  # With the search domain (AWS) the index is OpenSearch, signed with the functions' roles (the domain's
  # access policy names them); without it (locally) the embedded DuckDB file.
  environment = merge(
    {
      CHAT_SESSIONS_TABLE = module.sessions_table.name
      CHAT_INDEX_BACKEND  = var.enable_search_domain ? "opensearch" : "embedded"
    },
    var.enable_search_domain ? {
      CHAT_OPENSEARCH_ENDPOINT = "https://${module.search.endpoint}"
      CHAT_OPENSEARCH_AUTH     = "sigv4"
    } : {},
  )
  # Conversation turns are the API's alone (smartpay_chat.adapters.dynamodb_sessions: Query and PutItem).
  # The index: the worker writes it; the API searches it and creates it when missing (ensure_index).
  policy_statements = concat(
    [{
      sid       = "ChatSessions"
      actions   = ["dynamodb:Query", "dynamodb:PutItem"]
      resources = [module.sessions_table.arn]
      functions = ["api"]
    }],
    var.enable_search_domain ? [{
      sid       = "SearchIndex"
      actions   = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"]
      resources = ["${module.search.domain_arn}/*"]
      functions = ["worker", "api"]
    }] : [],
  )
}

# Conversation turns: one item per (session, turn), expiring after a day of inactivity.
module "sessions_table" {
  source = "../../modules/dynamodb_table"

  name                   = "${local.prefix}-chat-sessions"
  hash_key               = "session_id"
  range_key              = "turn"
  range_key_type         = "N"
  ttl_attribute          = "expires_at"
  point_in_time_recovery = var.point_in_time_recovery
  kms_key_arn            = local.kms_key_arn
  tags                   = local.tags
}

module "search" {
  source = "../../modules/search_domain"

  create                  = var.enable_search_domain
  domain_name             = "${local.prefix}-search"
  instance_type           = var.search_instance_type
  reader_writer_role_arns = module.service.role_arns
  kms_key_arn             = local.kms_key_arn
  log_retention_in_days   = var.log_retention_in_days
  tags                    = local.tags
}

module "service" {
  source = "../../modules/service"

  service_dir                   = "${path.module}/../../../../services/chat"
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
