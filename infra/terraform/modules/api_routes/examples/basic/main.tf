# Two routes of one Lambda on an HTTP API behind the JWT authorizer.

module "cognito" {
  source = "../../../cognito"

  name = "example-users"
}

module "http_api" {
  source = "../../../http_api"

  name         = "example-api"
  jwt_issuer   = module.cognito.issuer_url
  jwt_audience = [module.cognito.client_id]
}

module "function" {
  source = "../../../lambda_service"

  function_name = "example-orders-api"
  handler       = "example_orders.entrypoints.api.lambda_handler"
  filename      = "${path.module}/lambda.zip"
  alias_name    = "v1_0_0"
}

module "routes" {
  source = "../.."

  api_id             = module.http_api.api_id
  api_execution_arn  = module.http_api.execution_arn
  authorizer_id      = module.http_api.authorizer_id
  function_name      = module.function.function_name
  function_qualifier = module.function.alias_name
  lambda_invoke_arn  = module.function.alias_invoke_arn
  routes = [
    { method = "POST", path = "/orders" },
    { method = "GET", path = "/orders/{order_id}" },
  ]
}

output "route_keys" {
  description = "Routes on the API."
  value       = module.routes.route_keys
}
