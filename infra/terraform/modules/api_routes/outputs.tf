output "route_keys" {
  description = "Route keys (\"METHOD /path\") added to the API."
  value       = keys(aws_apigatewayv2_route.this)
}

output "route_ids" {
  description = "Route IDs keyed by route key."
  value       = { for key, route in aws_apigatewayv2_route.this : key => route.id }
}

output "integration_id" {
  description = "ID of the Lambda proxy integration."
  value       = aws_apigatewayv2_integration.this.id
}
