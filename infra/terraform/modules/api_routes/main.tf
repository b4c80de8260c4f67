# A service's routes on the platform HTTP API: one Lambda proxy integration, one route per manifest
# route behind the JWT authorizer, and the permission for API Gateway to invoke the alias.
#
# A release (new alias, function_qualifier) never leaves the integration pointing at an alias API Gateway
# may not invoke: the new alias's permissions are created first (create_before_destroy), the integration
# moves after them (depends_on), and the old alias's permissions go last.

locals {
  routes = { for route in var.routes : "${route.method} ${route.path}" => route }
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = var.api_id
  description            = "Lambda proxy to ${var.function_name}:${var.function_qualifier}"
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = var.lambda_invoke_arn
  payload_format_version = var.payload_format_version
  timeout_milliseconds   = var.timeout_milliseconds

  depends_on = [aws_lambda_permission.this]
}

resource "aws_apigatewayv2_route" "this" {
  for_each = local.routes

  api_id             = var.api_id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
  authorization_type = "JWT"
  authorizer_id      = var.authorizer_id
}

resource "aws_lambda_permission" "this" {
  for_each = local.routes

  # Named after the alias too: the old alias's statements and the new one's exist side by side during a release.
  statement_id  = "api-${var.function_qualifier}-${substr(sha1(each.key), 0, 12)}"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  qualifier     = var.function_qualifier
  principal     = "apigateway.amazonaws.com"
  # Path parameters become wildcards: the invoking ARN carries the literal request path.
  source_arn = "${var.api_execution_arn}/*/${each.value.method}${replace(each.value.path, "/\\{[^}]+\\}/", "*")}"

  lifecycle {
    create_before_destroy = true
  }
}
