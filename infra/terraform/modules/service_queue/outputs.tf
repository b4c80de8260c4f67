output "queue_name" {
  description = "Name of the queue."
  value       = local.queue.name
}

output "queue_url" {
  description = "URL of the queue."
  value       = local.queue.id
}

output "queue_arn" {
  description = "ARN of the queue."
  value       = local.queue.arn
}

output "dlq_name" {
  description = "Name of the dead-letter queue."
  value       = aws_sqs_queue.dlq.name
}

output "dlq_url" {
  description = "URL of the dead-letter queue."
  value       = aws_sqs_queue.dlq.id
}

output "dlq_arn" {
  description = "ARN of the dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "rules" {
  description = "The rules, keyed like var.rules: name, arn and event pattern."
  value = {
    for key, rule in aws_cloudwatch_event_rule.this : key => {
      name          = rule.name
      arn           = rule.arn
      event_pattern = rule.event_pattern
    }
  }
}

output "queue_policy" {
  description = "The queue policy that lets the rules deliver (empty without rules)."
  value       = local.queue_policy == null ? "" : local.queue_policy
}

output "dlq_alarm_name" {
  description = "CloudWatch alarm on the DLQ depth (ApproximateNumberOfMessagesVisible > 0)."
  value       = aws_cloudwatch_metric_alarm.dlq_depth.alarm_name
}
