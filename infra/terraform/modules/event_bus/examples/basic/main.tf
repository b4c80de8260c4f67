# A bus with a 3-day archive.

module "event_bus" {
  source = "../.."

  name                   = "example-bus"
  archive_retention_days = 3
  tags                   = { Example = "event_bus" }
}

output "archive_arn" {
  description = "ARN of the archive."
  value       = module.event_bus.archive_arn
}
