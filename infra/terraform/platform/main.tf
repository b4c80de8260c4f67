# Platform root: what every service shares. The KMS key that encrypts data at rest, the event bus
# and its archive, the Cognito user pool, the HTTP API with its JWT authorizer and throttling
# (services attach their own routes from their roots), the alarm topic and, on AWS, the Redis cache.
# Services read these outputs through terraform_remote_state.

locals {
  tags = merge(var.tags, { "smartpay:root" = "platform", "smartpay:target" = var.target })
}

module "kms_key" {
  source = "../modules/kms_key"

  name                    = "${var.name_prefix}-data"
  deletion_window_in_days = var.kms_deletion_window_in_days
  tags                    = local.tags
}

# Every DLQ depth alarm notifies this topic (or the one given in alarm_topic_arn): subscribe the
# on-call address or a chat webhook to it outside Terraform.
resource "aws_sns_topic" "alarms" {
  count = var.alarm_topic_arn == "" ? 1 : 0

  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = module.kms_key.key_arn
  tags              = local.tags
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

  throttling_rate_limit  = var.api_throttling_rate_limit
  throttling_burst_limit = var.api_throttling_burst_limit
  route_throttling       = var.api_route_throttling
  log_retention_in_days  = var.log_retention_in_days
  kms_key_arn            = module.kms_key.key_arn
  tags                   = local.tags
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

# The services' Lambda zips, one object per content: <service>/<sha256 of the zip>.zip (modules/service/artifact.tf).
# Versioned, as every bucket here (an overwritten object stays restorable); a release's replaced artifact is
# deleted with all its versions by the provider, and a rollback uploads the same bytes again.
module "artifacts" {
  source = "../modules/s3_bucket"

  name          = join("-", compact([var.name_prefix, "lambda-artifacts", var.bucket_name_suffix]))
  require_tls   = var.target != "local"
  versioning    = true
  force_destroy = var.force_destroy_buckets
  kms_key_arn   = module.kms_key.key_arn

  lifecycle_rules = var.bucket_lifecycle
  tags            = local.tags
}
