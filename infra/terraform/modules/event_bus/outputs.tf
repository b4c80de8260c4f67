output "bus_name" {
  description = "Name of the event bus."
  value       = aws_cloudwatch_event_bus.this.name
}

output "bus_arn" {
  description = "ARN of the event bus."
  value       = aws_cloudwatch_event_bus.this.arn
}

output "archive_name" {
  description = "Name of the archive (empty when create_archive is false)."
  value       = try(aws_cloudwatch_event_archive.this[0].name, "")
}

output "archive_arn" {
  description = "ARN of the archive (empty when create_archive is false)."
  value       = try(aws_cloudwatch_event_archive.this[0].arn, "")
}
