# An HTTP API whose JWT authorizer trusts a Cognito pool.

module "kms_key" {
  source = "../../../kms_key"

  name                    = "example-data"
  deletion_window_in_days = 7
}

module "cognito" {
  source = "../../../cognito"

  name = "example-users"
}

module "http_api" {
  source = "../.."

  name         = "example-api"
  jwt_issuer   = module.cognito.issuer_url
  jwt_audience = [module.cognito.client_id]
  kms_key_arn  = module.kms_key.key_arn

  throttling_rate_limit  = 20
  throttling_burst_limit = 40
}

output "api_endpoint" {
  description = "Base URL of the API."
  value       = module.http_api.api_endpoint
}
