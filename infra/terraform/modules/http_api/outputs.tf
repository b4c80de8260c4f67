output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Base URL of the API."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "execution_arn" {
  description = "Execution ARN, for Lambda permissions."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "authorizer_id" {
  description = "ID of the Cognito JWT authorizer."
  value       = aws_apigatewayv2_authorizer.this.id
}

output "stage_name" {
  description = "Name of the auto-deployed stage."
  value       = aws_apigatewayv2_stage.this.name
}

output "access_log_group_name" {
  description = "Log group of the stage's access log."
  value       = aws_cloudwatch_log_group.access.name
}

output "throttling" {
  description = "Stage-wide throttling per route: rate_limit (req/s) and burst_limit."
  value       = { rate_limit = var.throttling_rate_limit, burst_limit = var.throttling_burst_limit }
}
