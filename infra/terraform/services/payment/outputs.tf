output "service" {
  description = "Service name (from its manifest)."
  value       = module.service.service
}

output "version" {
  description = "Service version (from its VERSION file)."
  value       = module.service.version
}

output "alias_name" {
  description = "Lambda alias of the deployed version."
  value       = module.service.alias_name
}

output "event_source" {
  description = "The source this service publishes with."
  value       = module.service.event_source
}

output "queue_name" {
  description = "Name of the service queue."
  value       = module.service.queue_name
}

output "queue_url" {
  description = "URL of the service queue."
  value       = module.service.queue_url
}

output "queue_arn" {
  description = "ARN of the service queue."
  value       = module.service.queue_arn
}

output "dlq_name" {
  description = "Name of the DLQ."
  value       = module.service.dlq_name
}

output "dlq_url" {
  description = "URL of the DLQ."
  value       = module.service.dlq_url
}

output "dlq_arn" {
  description = "ARN of the DLQ."
  value       = module.service.dlq_arn
}

output "rules" {
  description = "Rules keyed by event type: name, arn, event_pattern."
  value       = module.service.rules
}

output "rule_names" {
  description = "Rule names keyed by event type."
  value       = { for event_type, rule in module.service.rules : event_type => rule.name }
}

output "queue_policy" {
  description = "Policy letting the rules deliver to the queue."
  value       = module.service.queue_policy
}

output "functions" {
  description = "Lambdas keyed by kind (worker, api)."
  value       = module.service.functions
}

output "worker_policy" {
  description = "Inline policy of the worker Lambda's role."
  value       = module.service.worker_policy
}

output "event_source_mapping_uuids" {
  description = "Event source mappings (empty when disabled, as locally)."
  value       = module.service.event_source_mapping_uuids
}

output "route_keys" {
  description = "Routes this service added to the platform API."
  value       = module.service.route_keys
}

output "tables" {
  description = "DynamoDB tables of the service, by role."
  value       = { payments = module.payments_table.name, idempotency_keys = module.idempotency_keys_table.name }
}

output "buckets" {
  description = "S3 buckets of the service, by role."
  value       = {}
}

output "dlq_alarm_name" {
  description = "CloudWatch alarm on the DLQ depth (ApproximateNumberOfMessagesVisible > 0)."
  value       = module.service.dlq_alarm_name
}

output "api_policy" {
  description = "Inline policy of the API Lambda's role (empty without an API)."
  value       = module.service.api_policy
}

output "secrets" {
  description = "Gateway secrets by connector: name, arn and the worker environment variable carrying the ID."
  value = { for key, secret in local.gateway_secrets : key => {
    name = aws_secretsmanager_secret.gateway[key].name
    arn  = aws_secretsmanager_secret.gateway[key].arn
    env  = secret.env
  } }
}

output "secret_environment" {
  description = "Environment of the payment worker naming its secrets (PAYMENT_STRIPE_SECRET_ID, PAYMENT_AMAZON_PAY_SECRET_ID, PAYMENT_SOLANA_FEE_PAYER_SECRET_ID)."
  value       = local.secret_environment
}

output "environments" {
  description = "Environment of each function by kind (worker, api): the keys its settings classes read (docs/terraform.md, \"Environment contract\")."
  value       = module.service.environments

  precondition {
    condition     = local.redis_url != ""
    error_message = "The platform state has no redis_url output (an older platform): apply the platform root first, the functions would otherwise read Redis on 127.0.0.1."
  }
}

output "policies" {
  description = "Inline policy of each function's role, by kind (worker, api, scheduled functions)."
  value       = module.service.policies
}

output "artifact" {
  description = "What every function of the service deploys. Zip: bucket and key in the platform's artifact bucket (key = <service>/<sha256>.zip), sha256 (hex). Image: the ECR repository (name, URL, ARN), image_uri and image_tag."
  value       = module.service.artifact
}
