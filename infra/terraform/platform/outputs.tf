output "name_prefix" {
  description = "Prefix of every resource name."
  value       = var.name_prefix
}

output "target" {
  description = "Target this state was applied to."
  value       = var.target
}

output "region" {
  description = "AWS region."
  value       = var.region
}

output "bus_name" {
  description = "Name of the event bus."
  value       = module.event_bus.bus_name
}

output "bus_arn" {
  description = "ARN of the event bus."
  value       = module.event_bus.bus_arn
}

output "archive_name" {
  description = "Name of the bus archive."
  value       = module.event_bus.archive_name
}

output "archive_arn" {
  description = "ARN of the bus archive."
  value       = module.event_bus.archive_arn
}

output "user_pool_id" {
  description = "ID of the Cognito user pool."
  value       = module.cognito.user_pool_id
}

output "user_pool_arn" {
  description = "ARN of the Cognito user pool."
  value       = module.cognito.user_pool_arn
}

output "user_pool_client_id" {
  description = "ID of the app client (no secret; USER_PASSWORD_AUTH + REFRESH_TOKEN_AUTH)."
  value       = module.cognito.client_id
}

output "issuer_url" {
  description = "JWT issuer of the pool (the real AWS URL, also on moto)."
  value       = module.cognito.issuer_url
}

output "merchant_claim" {
  description = "ID-token claim carrying the merchant."
  value       = module.cognito.merchant_claim
}

output "admin_group_name" {
  description = "Cognito group of operators."
  value       = "admin"
}

output "group_names" {
  description = "All Cognito groups."
  value       = module.cognito.group_names
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = module.http_api.api_id
}

output "api_endpoint" {
  description = "Base URL of the HTTP API."
  value       = module.http_api.api_endpoint
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API."
  value       = module.http_api.execution_arn
}

output "api_authorizer_id" {
  description = "ID of the JWT authorizer."
  value       = module.http_api.authorizer_id
}

output "api_stage_name" {
  description = "Stage of the HTTP API."
  value       = module.http_api.stage_name
}

output "cache_address" {
  description = "Redis address (empty when the cache is off)."
  value       = module.cache.address
}

output "cache_port" {
  description = "Redis port."
  value       = module.cache.port
}

output "kms_key_arn" {
  description = "Platform KMS key: the service roots encrypt queues, tables, buckets, logs, Lambda environments and secrets with it."
  value       = module.kms_key.key_arn
}

output "kms_key_alias" {
  description = "Alias of the platform KMS key."
  value       = module.kms_key.alias_name
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  value       = var.alarm_topic_arn == "" ? aws_sns_topic.alarms[0].arn : var.alarm_topic_arn
}

output "api_throttling" {
  description = "Stage-wide throttling per route of the HTTP API (rate_limit req/s, burst_limit)."
  value       = module.http_api.throttling
}

output "api_access_log_group" {
  description = "Log group of the API access log."
  value       = module.http_api.access_log_group_name
}

# --- the functions' environment, read by the service roots (docs/terraform.md, "Environment contract") ---

output "redis_url" {
  description = "Redis of every function: the cache when there is one, else var.redis_url."
  value       = module.cache.address != "" ? "redis://${module.cache.address}:${module.cache.port}/0" : var.redis_url

  precondition {
    condition     = var.enable_cache || var.redis_url != ""
    error_message = "Without the cache (enable_cache = false) the functions need redis_url: they would otherwise read Redis on 127.0.0.1."
  }
}

output "api_rate_limit_per_second" {
  description = "Per-merchant rate limit of the API functions (0: off)."
  value       = var.api_rate_limit_per_second
}

output "api_rate_limit_burst" {
  description = "Per-merchant burst of the API functions."
  value       = var.api_rate_limit_burst
}

output "artifact_bucket" {
  description = "Bucket of the services' Lambda zips, each under <service>/<sha256 of the zip>.zip."
  value       = module.artifacts.name
}
