# Service root: routing (gateway selection + bandit checkpoint bucket). Own state; reads the platform's outputs
# through terraform_remote_state; subscriptions, routes and version come from services/routing.

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
  tags            = merge(var.tags, { "smartpay:root" = "services/routing", "smartpay:target" = var.target })

  # The environment contract (docs/terraform.md): every key below is read by a settings class of the
  # function (smartpay_fraud.config etc.; the API's in smartpay_shared.config.ApiSettings), and every
  # setting those classes mark as deployed is here. tests/contract checks it against an apply on moto.
  redis_url = lookup(local.platform, "redis_url", "")
  api_environment = {
    SMARTPAY_API_RATE_LIMIT_PER_SECOND = tostring(lookup(local.platform, "api_rate_limit_per_second", 0))
    SMARTPAY_API_RATE_LIMIT_BURST      = tostring(lookup(local.platform, "api_rate_limit_burst", 100))
    SMARTPAY_API_REDIS_URL             = local.redis_url
  }
  # With endpoint_name the router asks that SageMaker endpoint for the pmf (deployed outside Terraform from a
  # checkpoint: docs/routing.md, "SageMaker"); the worker still learns in process and writes the checkpoints.
  environment = merge(
    {
      ROUTING_CHECKPOINT_BUCKET = module.checkpoints.name
      ROUTING_REDIS_URL         = local.redis_url
      ROUTING_CATALOG_FILE      = var.catalog_file
    },
    var.endpoint_name != "" ? { ROUTING_ENDPOINT_NAME = var.endpoint_name } : {},
  )
  # Both functions may invoke that endpoint, and no other (endpoint ARNs hold the name in lower case).
  endpoint_statements = [for name in compact([var.endpoint_name]) : {
    sid     = "EndpointInvoke"
    actions = ["sagemaker:InvokeEndpoint"]
    resources = [format("arn:%s:sagemaker:%s:%s:endpoint/%s", data.aws_partition.current[0].partition,
    data.aws_region.current[0].name, data.aws_caller_identity.current[0].account_id, lower(name))]
    functions = ["worker", "api"]
  }]
  # Both functions load the newest checkpoint; only the worker learns from outcomes and writes checkpoints.
  policy_statements = concat([
    {
      sid       = "CheckpointsRead"
      actions   = ["s3:GetObject", "s3:ListBucket"]
      resources = [module.checkpoints.arn, "${module.checkpoints.arn}/*"]
      functions = ["worker", "api"]
    },
    {
      sid       = "CheckpointsWrite"
      actions   = ["s3:PutObject"]
      resources = ["${module.checkpoints.arn}/*"]
      functions = ["worker"]
    },
  ], local.endpoint_statements)
}

data "aws_partition" "current" {
  count = var.endpoint_name != "" ? 1 : 0
}

data "aws_region" "current" {
  count = var.endpoint_name != "" ? 1 : 0
}

data "aws_caller_identity" "current" {
  count = var.endpoint_name != "" ? 1 : 0
}

# Bandit model checkpoints; versioned so a bad checkpoint can be rolled back.
module "checkpoints" {
  source = "../../modules/s3_bucket"

  require_tls   = var.target != "local"
  name          = join("-", compact([local.prefix, "routing-checkpoints", var.bucket_name_suffix]))
  versioning    = true
  force_destroy = var.force_destroy_buckets

  lifecycle_rules = var.bucket_lifecycle
  kms_key_arn     = local.kms_key_arn
  tags            = local.tags
}

module "service" {
  source = "../../modules/service"

  service_dir                   = "${path.module}/../../../../services/routing"
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
