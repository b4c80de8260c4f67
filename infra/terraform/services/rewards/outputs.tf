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
  value = {
    ledger          = module.ledger_table.name
    accounts        = module.accounts_table.name
    challenges      = module.challenges_table.name
    mint_journal    = module.mint_journal_table.name
    offer_decisions = module.offer_decisions_table.name
  }
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

output "secrets" {
  description = "The chain keys' secrets by role: name, arn and the environment variable carrying the ID."
  value = { for key, secret in local.chain_secrets : key => {
    name = aws_secretsmanager_secret.chain[key].name
    arn  = aws_secretsmanager_secret.chain[key].arn
    env  = secret.env
  } }
}

output "exchange_api_key_secret" {
  description = "The exchange API key's secret (exchange_venue ccxt; null otherwise): name, arn and the environment variable carrying the ID. Only the API may read it."
  value = one([for secret in aws_secretsmanager_secret.exchange_api_key : {
    name = secret.name
    arn  = secret.arn
    env  = "REWARDS_EXCHANGE_API_KEY_SECRET_ID"
  }])
}

output "artifact" {
  description = "What every function of the service deploys. Zip: bucket and key in the platform's artifact bucket (key = <service>/<sha256>.zip), sha256 (hex). Image: the ECR repository (name, URL, ARN), image_uri and image_tag."
  value       = module.service.artifact
}
