# One SmartPay service from its manifest (services/<name>/manifest.json + VERSION): queue + DLQ, one
# rule per subscription, worker and API Lambdas with a version alias, the manifest's scheduled functions
# (each with its EventBridge schedule), and its routes on the platform API. The manifest is the only place
# subscriptions, routes and functions are declared. Each function has a role of its own, holding only
# what that function does (docs/security.md): the queue only for the worker, PutEvents only for the event
# types the function puts (`emits`, `api_emits`, a scheduled function's `emits`), and each of the root's
# statements only for the functions it names.

locals {
  manifest = jsondecode(file("${var.service_dir}/manifest.json"))

  # Every service on the bus, from its own manifest: <manifests_dir>/*/manifest.json (by default the
  # directory holding this service's, i.e. services/). The producers of an event type are the
  # services whose `emits` name it; a rule matches only their sources, so no other service's role
  # can put an event that reaches this queue (their IAM condition pins events:source too).
  manifests_dir = var.manifests_dir != "" ? var.manifests_dir : dirname(var.service_dir)
  all_manifests = [for f in sort(fileset(local.manifests_dir, "*/manifest.json")) : jsondecode(file("${local.manifests_dir}/${f}"))]
  producers = {
    for subscription in local.manifest.subscriptions : subscription.event_type => sort(distinct([
      for m in local.all_manifests : "smartpay.${m.service}" if contains(lookup(m, "emits", []), subscription.event_type)
    ]))
  }
  unproduced = sort([for event_type, sources in local.producers : event_type if length(sources) == 0])
  emits      = sort(distinct(lookup(local.manifest, "emits", [])))
  version    = trimspace(file("${var.service_dir}/VERSION"))
  service    = local.manifest.service
  base       = "${var.name_prefix}-${local.service}"

  # 0.1.0 -> v0_1_0 (alias names allow [A-Za-z0-9_-] only).
  alias_name   = "v${replace(local.version, "/[^A-Za-z0-9_-]/", "_")}"
  event_source = "smartpay.${local.service}"

  # Naming contract (smartpay_shared relies on it): <prefix>-<service>-<event type, . and _ -> ->.
  # `source`: exactly the producers of the event type (see producers above).
  # `replay-name` exists only on replayed events: archive replays never reach service queues.
  rules = {
    for subscription in local.manifest.subscriptions : subscription.event_type => {
      name        = "${local.base}-${replace(subscription.event_type, "/[._]/", "-")}"
      description = lookup(subscription, "description", "")
      event_pattern = jsonencode(merge(
        {
          "source"      = local.producers[subscription.event_type]
          "detail-type" = [subscription.event_type]
          "replay-name" = [{ exists = false }]
        },
        { for key, filter in { detail = lookup(subscription, "detail_filter", null) } : key => filter if filter != null },
      ))
    }
  }

  routes        = lookup(local.manifest, "routes", [])
  api_handler   = lookup(local.manifest, "api_handler", null)
  create_api    = local.api_handler != null && length(local.routes) > 0
  attach_routes = local.create_api && var.api_id != ""
  # The worker's concurrency cap: the manifest's max_concurrency unless the root overrides it.
  worker_concurrency = var.worker_reserved_concurrency != null ? var.worker_reserved_concurrency : lookup(local.manifest, "max_concurrency", 1)
  # Records per worker invocation: the manifest's batch_size unless the root overrides it.
  worker_batch_size = var.batch_size != null ? var.batch_size : lookup(local.manifest, "batch_size", 1)
  # The API function's: the manifest's api_max_concurrency unless the root overrides it.
  api_concurrency = var.api_reserved_concurrency != null ? var.api_reserved_concurrency : lookup(local.manifest, "api_max_concurrency", 10)
  scheduled       = { for f in lookup(local.manifest, "scheduled", []) : f.name => f }
  kinds           = concat(["worker"], local.create_api ? ["api"] : [], sort(keys(local.scheduled)))
  lambda_handler = merge(
    { for kind, handler in { worker = local.manifest.queue_handler, api = local.api_handler } : kind => replace(handler, ":", ".") if handler != null },
    { for name, f in local.scheduled : name => replace(f.handler, ":", ".") },
  )
  # What each function may put on the bus: the worker every type the service emits, the API and the
  # scheduled functions only what the manifest says they put.
  api_emits = sort(distinct(lookup(local.manifest, "api_emits", [])))

  # The environment contract (docs/terraform.md): only keys a settings class of the function reads.
  # Both functions: the platform's (smartpay_shared.config.PlatformSettings) and the root's service keys;
  # the API function also the API settings (smartpay_shared.config.ApiSettings) from api_environment_variables.
  environment = merge(
    {
      SMARTPAY_NAME_PREFIX = var.name_prefix
      SMARTPAY_BUS_NAME    = var.bus_name
    },
    var.environment_variables,
  )
  api_environment = merge(local.environment, var.api_environment_variables)

  # The root's statements, per function kind.
  policy_statements = { for kind in local.kinds : kind => [
    for statement in var.policy_statements : {
      sid       = statement.sid
      actions   = statement.actions
      resources = statement.resources
    } if contains(statement.functions, kind)
  ] }
  unknown_statement_functions = sort(setsubtract(flatten(var.policy_statements[*].functions), local.kinds))

  tags = merge(var.tags, { "smartpay:service" = local.service, "smartpay:version" = local.version })

  # Zip or Image (image.tf): the manifest's lambda_package.package_type unless the root overrides it.
  package_type = var.package_type != null ? var.package_type : lookup(lookup(local.manifest, "lambda_package", {}), "package_type", "Zip")
}

# Every Lambda by kind; the API one only when the manifest has an api_handler and routes.
locals {
  functions = merge({ worker = module.worker }, { for api in module.api : "api" => api }, module.scheduled)
}

module "queue" {
  source = "../service_queue"

  name                          = local.base
  bus_name                      = var.bus_name
  rules                         = local.rules
  visibility_timeout_seconds    = var.visibility_timeout_seconds
  max_receive_count             = var.max_receive_count
  ignore_redrive_policy_changes = var.ignore_redrive_policy_changes
  kms_key_arn                   = var.kms_key_arn
  alarm_topic_arn               = var.alarm_topic_arn
  tags                          = local.tags
}

module "worker" {
  source = "../lambda_service"

  function_name                  = "${local.base}-worker"
  description                    = "${local.service} ${local.version}: consumes ${local.base}"
  handler                        = local.lambda_handler.worker
  runtime                        = var.lambda_runtime
  filename                       = var.lambda_zip_path
  s3_bucket                      = local.artifact.bucket
  s3_key                         = local.artifact.key
  package_type                   = local.package_type
  image_uri                      = local.image_uri
  image_repository_arn           = local.image_repository_arn
  image_command                  = local.image_command.worker
  alias_name                     = local.alias_name
  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  layers                         = local.is_image ? [] : var.lambda_layers
  environment_variables          = local.environment
  log_retention_in_days          = var.log_retention_in_days
  event_bus_arn                  = var.bus_arn
  event_source                   = local.event_source
  event_detail_types             = local.emits
  sqs_queue_arns                 = [module.queue.queue_arn]
  enable_event_source_mapping    = var.enable_event_source_mapping
  batch_size                     = local.worker_batch_size
  reserved_concurrent_executions = local.worker_concurrency
  policy_statements              = local.policy_statements.worker
  immutable_release              = var.immutable_releases
  subnet_ids                     = var.subnet_ids
  security_group_ids             = var.security_group_ids
  kms_key_arn                    = var.kms_key_arn
  tags                           = local.tags
}

module "api" {
  source = "../lambda_service"
  count  = local.create_api ? 1 : 0

  function_name                  = "${local.base}-api"
  description                    = "${local.service} ${local.version}: HTTP API"
  handler                        = local.lambda_handler.api
  runtime                        = var.lambda_runtime
  filename                       = var.lambda_zip_path
  s3_bucket                      = local.artifact.bucket
  s3_key                         = local.artifact.key
  package_type                   = local.package_type
  image_uri                      = local.image_uri
  image_repository_arn           = local.image_repository_arn
  image_command                  = local.image_command.api
  alias_name                     = local.alias_name
  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  layers                         = local.is_image ? [] : var.lambda_layers
  environment_variables          = local.api_environment
  log_retention_in_days          = var.log_retention_in_days
  event_bus_arn                  = var.bus_arn
  event_source                   = local.event_source
  event_detail_types             = local.api_emits
  reserved_concurrent_executions = local.api_concurrency
  policy_statements              = local.policy_statements.api
  immutable_release              = var.immutable_releases
  subnet_ids                     = var.subnet_ids
  security_group_ids             = var.security_group_ids
  kms_key_arn                    = var.kms_key_arn
  tags                           = local.tags
}

# The manifest's scheduled functions (e.g. payment's sweeper): the service's environment, a role of their own,
# an EventBridge schedule on the default bus. Unreserved concurrency: a run ends well before the next one.
module "scheduled" {
  source   = "../lambda_service"
  for_each = local.scheduled

  function_name         = "${local.base}-${each.key}"
  description           = "${local.service} ${local.version}: ${lookup(each.value, "description", each.key)}"
  handler               = local.lambda_handler[each.key]
  runtime               = var.lambda_runtime
  filename              = var.lambda_zip_path
  s3_bucket             = local.artifact.bucket
  s3_key                = local.artifact.key
  package_type          = local.package_type
  image_uri             = local.image_uri
  image_repository_arn  = local.image_repository_arn
  image_command         = local.image_command[each.key]
  alias_name            = local.alias_name
  memory_size           = var.lambda_memory_size
  timeout               = var.lambda_timeout
  layers                = local.is_image ? [] : var.lambda_layers
  environment_variables = local.environment
  log_retention_in_days = var.log_retention_in_days
  event_bus_arn         = var.bus_arn
  event_source          = local.event_source
  event_detail_types    = sort(distinct(lookup(each.value, "emits", [])))
  schedule_expression   = each.value.schedule
  policy_statements     = local.policy_statements[each.key]
  immutable_release     = var.immutable_releases
  subnet_ids            = var.subnet_ids
  security_group_ids    = var.security_group_ids
  kms_key_arn           = var.kms_key_arn
  tags                  = local.tags
}

module "routes" {
  source = "../api_routes"
  count  = local.attach_routes ? 1 : 0

  api_id             = var.api_id
  api_execution_arn  = var.api_execution_arn
  authorizer_id      = var.authorizer_id
  routes             = local.routes
  function_name      = module.api[0].function_name
  function_qualifier = module.api[0].alias_name
  lambda_invoke_arn  = module.api[0].alias_invoke_arn
}
