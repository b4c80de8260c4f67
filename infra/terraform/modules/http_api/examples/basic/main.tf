# An HTTP API whose JWT authorizer trusts a Cognito pool.

module "cognito" {
  source = "../../../cognito"

  name = "example-users"
}

module "http_api" {
  source = "../.."

  name         = "example-api"
  jwt_issuer   = module.cognito.issuer_url
  jwt_audience = [module.cognito.client_id]
}

output "api_endpoint" {
  description = "Base URL of the API."
  value       = module.http_api.api_endpoint
}
