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

  environment = {
    SMARTPAY_CHAT_SESSIONS_TABLE = module.sessions_table.name
    # Empty: the service uses its embedded search engine (the local default).
    SMARTPAY_SEARCH_ENDPOINT = module.search.endpoint == "" ? "" : "https://${module.search.endpoint}"
  }
  policy_statements = concat(
    [{
      sid       = "ChatSessions"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
      resources = [module.sessions_table.arn]
    }],
    var.enable_search_domain ? [{
      sid       = "SearchIndex"
      actions   = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"]
      resources = ["${module.search.domain_arn}/*"]
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
  lambda_runtime                = var.lambda_runtime
  lambda_layers                 = var.lambda_layers
  lambda_timeout                = var.lambda_timeout
  visibility_timeout_seconds    = var.visibility_timeout_seconds
  max_receive_count             = var.max_receive_count
  ignore_redrive_policy_changes = var.target == "local"
  enable_event_source_mapping   = var.enable_event_source_mapping
  point_in_time_recovery        = var.point_in_time_recovery
  log_retention_in_days         = var.log_retention_in_days
  subnet_ids                    = var.subnet_ids
  security_group_ids            = var.security_group_ids
  environment_variables         = local.environment
  policy_statements             = local.policy_statements
  kms_key_arn                   = local.kms_key_arn
  alarm_topic_arn               = local.alarm_topic_arn
  tags                          = local.tags
}
