# Service root: fraud (fraud scoring + model registry bucket). Own state; reads the platform's outputs
# through terraform_remote_state; subscriptions, routes and version come from services/fraud.

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
  tags            = merge(var.tags, { "smartpay:root" = "services/fraud", "smartpay:target" = var.target })

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
    FRAUD_MODEL_BUCKET = module.model_registry.name
    FRAUD_REDIS_URL    = local.redis_url
  }
  # Both functions only read the registry (the served model and its pointers); publishing and promoting
  # models is the operator CLI's, with the operator's own credentials (docs/fraud.md).
  policy_statements = [{
    sid       = "ModelRegistryRead"
    actions   = ["s3:GetObject", "s3:ListBucket"]
    resources = [module.model_registry.arn, "${module.model_registry.arn}/*"]
    functions = ["worker", "api"]
  }]
}

# Versioned: a model promotion is a new object version, a rollback the previous one.
module "model_registry" {
  source = "../../modules/s3_bucket"

  require_tls   = var.target != "local"
  name          = join("-", compact([local.prefix, "fraud-models", var.bucket_name_suffix]))
  versioning    = true
  force_destroy = var.force_destroy_buckets

  lifecycle_rules = var.bucket_lifecycle
  kms_key_arn     = local.kms_key_arn
  tags            = local.tags
}

module "service" {
  source = "../../modules/service"

  service_dir                   = "${path.module}/../../../../services/fraud"
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
