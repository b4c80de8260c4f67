# Optional schedule (a manifest's `scheduled` function): an EventBridge rule on the default bus, named
# after the function, invoking its alias. The permission for the new alias exists before the target moves
# to it, and the old one is removed only after (create_before_destroy), like the API's (api_routes).

resource "aws_cloudwatch_event_rule" "schedule" {
  count = var.schedule_expression == "" ? 0 : 1

  name                = var.function_name
  event_bus_name      = "default" # schedules run on the default bus only
  description         = "Invokes ${var.function_name}:${var.alias_name} ${var.schedule_expression}"
  schedule_expression = var.schedule_expression
  state               = "ENABLED"
  tags                = var.tags
}

resource "aws_lambda_permission" "schedule" {
  count = var.schedule_expression == "" ? 0 : 1

  statement_id  = "schedule-${aws_lambda_alias.this.name}" # old and new alias side by side during a release
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.this.name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[0].arn

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_event_target" "schedule" {
  count = var.schedule_expression == "" ? 0 : 1

  rule           = aws_cloudwatch_event_rule.schedule[0].name
  event_bus_name = aws_cloudwatch_event_rule.schedule[0].event_bus_name
  target_id      = "lambda"
  arn            = aws_lambda_alias.this.arn

  depends_on = [aws_lambda_permission.schedule]
}
