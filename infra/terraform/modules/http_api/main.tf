# The platform's HTTP API with its Cognito JWT authorizer and auto-deployed $default stage. Services
# add their own routes and integrations (module api_routes) from their own roots. The stage throttles
# every route (steady rate + burst) and writes one JSON access log line per request.

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  description   = var.description
  protocol_type = "HTTP"
  tags          = var.tags
}

resource "aws_apigatewayv2_authorizer" "this" {
  name             = "cognito"
  api_id           = aws_apigatewayv2_api.this.id
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# No header, body or query string: tokens and payment data never reach the access log.
locals {
  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    ip                 = "$context.identity.sourceIp"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.routeKey"
    status             = "$context.status"
    protocol           = "$context.protocol"
    responseLength     = "$context.responseLength"
    integrationLatency = "$context.integrationLatency"
    integrationError   = "$context.integrationErrorMessage"
    authorizerError    = "$context.authorizer.error"
  })
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true
  tags        = var.tags

  # Per route, for all callers together (HTTP APIs have no usage plans or API keys): the per-merchant
  # limit is the API's own token bucket (docs/security.md).
  default_route_settings {
    throttling_burst_limit   = var.throttling_burst_limit
    throttling_rate_limit    = var.throttling_rate_limit
    detailed_metrics_enabled = var.detailed_metrics_enabled
  }

  # Tighter limits for chosen routes ("POST /pay"). A route setting needs the route to exist: set it
  # on a platform apply after the service roots have added their routes.
  dynamic "route_settings" {
    for_each = var.route_throttling
    content {
      route_key                = route_settings.key
      throttling_burst_limit   = route_settings.value.burst_limit
      throttling_rate_limit    = route_settings.value.rate_limit
      detailed_metrics_enabled = var.detailed_metrics_enabled
    }
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }
}
