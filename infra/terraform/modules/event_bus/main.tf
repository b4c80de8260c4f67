# The platform's EventBridge bus and the archive that makes replays possible.

resource "aws_cloudwatch_event_bus" "this" {
  name = var.name
  tags = var.tags
}

resource "aws_cloudwatch_event_archive" "this" {
  count = var.create_archive ? 1 : 0

  name             = coalesce(var.archive_name, "${var.name}-archive")
  description      = "Every event on ${var.name}, kept ${var.archive_retention_days} days (0 = forever) for replays."
  event_source_arn = aws_cloudwatch_event_bus.this.arn
  retention_days   = var.archive_retention_days
}
