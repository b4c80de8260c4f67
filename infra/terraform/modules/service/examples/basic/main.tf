# A whole service from services/orders/manifest.json + VERSION: queue, DLQ, one rule per
# subscription, worker + API Lambdas and their routes. The sibling manifests under
# services/ name the producers: each rule accepts its event type only from the service that emits it.

module "kms_key" {
  source = "../../../kms_key"

  name                    = "example-data"
  deletion_window_in_days = 7
}

module "event_bus" {
  source = "../../../event_bus"

  name = "example-bus"
}

module "cognito" {
  source = "../../../cognito"

  name = "example-users"
}

module "http_api" {
  source = "../../../http_api"

  name         = "example-api"
  jwt_issuer   = module.cognito.issuer_url
  jwt_audience = [module.cognito.client_id]
  kms_key_arn  = module.kms_key.key_arn
}

module "service" {
  source = "../.."

  service_dir       = "${path.module}/services/orders"
  name_prefix       = "example"
  bus_name          = module.event_bus.bus_name
  bus_arn           = module.event_bus.bus_arn
  api_id            = module.http_api.api_id
  api_execution_arn = module.http_api.execution_arn
  authorizer_id     = module.http_api.authorizer_id
  lambda_zip_path   = "${path.module}/lambda.zip"
  kms_key_arn       = module.kms_key.key_arn
}

output "rules" {
  description = "Rules by event type."
  value       = module.service.rules
}

output "producers" {
  description = "Accepted sources by event type: { payment.captured = [smartpay.payment], fraud.assessed = [smartpay.fraud] }."
  value       = module.service.producers
}
