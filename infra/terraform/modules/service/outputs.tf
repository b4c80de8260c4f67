output "service" {
  description = "Service name from the manifest."
  value       = local.service
}

output "version" {
  description = "Service version from VERSION."
  value       = local.version
}

output "alias_name" {
  description = "Lambda alias of this version (v0_1_0)."
  value       = local.alias_name
}

output "event_source" {
  description = "The `source` this service publishes with."
  value       = local.event_source
}

output "queue_name" {
  description = "Name of the service queue."
  value       = module.queue.queue_name
}

output "queue_url" {
  description = "URL of the service queue."
  value       = module.queue.queue_url

  precondition {
    condition     = !var.enable_event_source_mapping || var.visibility_timeout_seconds >= var.lambda_timeout
    error_message = "With an event source mapping the queue's visibility timeout must be at least the Lambda timeout."
  }
}

output "queue_arn" {
  description = "ARN of the service queue."
  value       = module.queue.queue_arn
}

output "dlq_name" {
  description = "Name of the DLQ."
  value       = module.queue.dlq_name
}

output "dlq_url" {
  description = "URL of the DLQ."
  value       = module.queue.dlq_url
}

output "dlq_arn" {
  description = "ARN of the DLQ."
  value       = module.queue.dlq_arn
}

output "rules" {
  description = "Rules keyed by event type: name, arn, event_pattern."
  value       = module.queue.rules

  precondition {
    condition     = length(local.unproduced) == 0
    error_message = "${local.service} subscribes to event types that no manifest under ${local.manifests_dir} emits: ${join(", ", local.unproduced)}. Add them to the producer's `emits`."
  }
}

output "producers" {
  description = "Sources each subscribed event type is accepted from (its producers' smartpay.<service>), by event type."
  value       = local.producers
}

output "emits" {
  description = "Event types this service's roles may put (events:detail-type condition), from the manifest's `emits`."
  value       = local.emits
}

output "queue_policy" {
  description = "Policy letting the rules deliver to the queue."
  value       = module.queue.queue_policy
}

output "functions" {
  description = "Lambdas keyed by kind (worker, api, each scheduled function's name): name, alias, alias ARN, role, handler, code_sha256 (the zip behind the alias, as Lambda's CodeSha256); reserved_concurrency (the local worker and gateway run as many at once; -1 unreserved); batch_size of the worker (null otherwise); schedule and its rule of a scheduled function (null otherwise)."
  value = { for kind, function in local.functions : kind => {
    name                 = function.function_name
    alias                = function.alias_name
    alias_arn            = function.alias_arn
    role_arn             = function.role_arn
    handler              = local.lambda_handler[kind]
    code_sha256          = function.code_sha256
    package_type         = local.package_type
    image_uri            = function.image_uri
    image_command        = local.image_command[kind]
    batch_size           = kind == "worker" ? local.worker_batch_size : null
    reserved_concurrency = kind == "worker" ? local.worker_concurrency : kind == "api" ? local.api_concurrency : -1
    schedule             = contains(keys(local.scheduled), kind) ? local.scheduled[kind].schedule : null
    schedule_rule        = contains(keys(local.scheduled), kind) ? function.schedule_rule_name : null
  } }

  precondition {
    condition     = length(local.unknown_statement_functions) == 0
    error_message = "policy_statements name functions this service does not deploy: ${join(", ", local.unknown_statement_functions)} (its functions: ${join(", ", local.kinds)})."
  }
}

output "worker_policy" {
  description = "Inline policy of the worker Lambda's role."
  value       = module.worker.policy
}

output "event_source_mapping_uuids" {
  description = "Event source mappings of the worker (empty when disabled)."
  value       = module.worker.event_source_mapping_uuids
}

output "route_keys" {
  description = "Routes added to the platform API (empty when no API is given)."
  value       = local.attach_routes ? module.routes[0].route_keys : []
}

output "role_arns" {
  description = "Execution roles of the service's Lambdas."
  value       = [for kind in local.kinds : local.functions[kind].role_arn]
}

output "policies" {
  description = "Inline policy of each function's role, by kind."
  value       = { for kind, function in local.functions : kind => function.policy }
}

output "dlq_alarm_name" {
  description = "CloudWatch alarm on the DLQ depth."
  value       = module.queue.dlq_alarm_name
}

output "api_policy" {
  description = "Inline policy of the API Lambda's role (empty without an API)."
  value       = local.create_api ? module.api[0].policy : ""
}

output "environments" {
  description = "Environment of each function by kind (worker, api, scheduled ones): what its settings classes read."
  value       = { for kind, _ in local.functions : kind => kind == "api" ? local.api_environment : local.environment }
}

output "artifact" {
  description = "Where every function's code comes from. Zip: bucket and key of the zip in the artifact bucket (null without one) and the zip's sha256 (hex; the key's name). Image: the ECR repository (name, URL, ARN, tag mutability, scan on push, encryption, lifecycle policy, repository policy), the image URI and its tag (by default the sha256 of the `make package` zip); bucket and key null."
  value = {
    package_type = local.package_type
    bucket       = local.artifact.bucket
    key          = local.artifact.key
    sha256       = local.zip_sha256
    image_tag    = local.is_image ? local.image_tag : null
    image_uri    = local.is_image ? local.image_uri : null
    repository = local.is_image ? {
      name                 = aws_ecr_repository.image[0].name
      url                  = aws_ecr_repository.image[0].repository_url
      arn                  = aws_ecr_repository.image[0].arn
      image_tag_mutability = aws_ecr_repository.image[0].image_tag_mutability
      scan_on_push         = aws_ecr_repository.image[0].image_scanning_configuration[0].scan_on_push
      encryption           = try(aws_ecr_repository.image[0].encryption_configuration[0], null)
      lifecycle_policy     = aws_ecr_lifecycle_policy.image[0].policy
      policy               = aws_ecr_repository_policy.image[0].policy
    } : null
  }
}
