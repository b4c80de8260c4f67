# Platform root: what every service shares. The event bus and its archive, the Cognito user pool,
# the HTTP API with its JWT authorizer (services attach their own routes from their roots) and,
# on AWS, the Redis cache. Services read these outputs through terraform_remote_state.

locals {
  tags = merge(var.tags, { "smartpay:root" = "platform", "smartpay:target" = var.target })
}

module "event_bus" {
  source = "../modules/event_bus"

  name                   = "${var.name_prefix}-bus"
  archive_name           = "${var.name_prefix}-bus-archive"
  archive_retention_days = var.archive_retention_days
  tags                   = local.tags
}

module "cognito" {
  source = "../modules/cognito"

  name                    = "${var.name_prefix}-users"
  client_name             = "${var.name_prefix}-app"
  password_minimum_length = var.password_minimum_length
  tags                    = local.tags
}

module "http_api" {
  source = "../modules/http_api"

  name         = "${var.name_prefix}-api"
  jwt_issuer   = module.cognito.issuer_url
  jwt_audience = [module.cognito.client_id]
  tags         = local.tags
}

module "cache" {
  source = "../modules/cache"

  create             = var.enable_cache
  name               = "${var.name_prefix}-cache"
  node_type          = var.cache_node_type
  subnet_ids         = var.cache_subnet_ids
  security_group_ids = var.cache_security_group_ids
  tags               = local.tags
}
