# A service's SQS queue with its DLQ, and the EventBridge rules that feed it (one per subscription).

locals {
  dlq_name = coalesce(var.dlq_name, "${var.name}-dlq")
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
  queue = one(concat(aws_sqs_queue.this, aws_sqs_queue.emulated))

  # The queue's own ARN, known before it exists (its policy names it): the DLQ's, with the queue's name.
  queue_arn = join(":", concat(slice(split(":", aws_sqs_queue.dlq.arn), 0, 5), [var.name]))

  # Real EventBridge needs this to deliver; moto does not enforce it (tests check that it exists). Part of
  # the queue resource, not an aws_sqs_queue_policy: hashicorp/aws 5.x waits ~25 s for attributes to settle
  # after every SetQueueAttributes, so a separate policy resource is a second wait per queue, on create and
  # on destroy.
  queue_policy = length(var.rules) == 0 ? null : jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowSubscribedRules"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = local.queue_arn
      Condition = { ArnEquals = { "aws:SourceArn" = [for rule in aws_cloudwatch_event_rule.this : rule.arn] } }
    }]
  })
}

resource "aws_sqs_queue" "dlq" {
  name                              = local.dlq_name
  message_retention_seconds         = var.dlq_message_retention_seconds
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds
  tags                              = var.tags
}

resource "aws_sqs_queue" "this" {
  count = var.ignore_redrive_policy_changes ? 0 : 1

  name                       = var.name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  receive_wait_time_seconds  = var.receive_wait_time_seconds
  redrive_policy             = local.redrive_policy
  policy                     = local.queue_policy
  # SSE with the platform key: EventBridge can deliver to a queue encrypted with a customer managed
  # key whose policy lets it in, never to one under the AWS managed alias/aws/sqs.
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds
  tags                              = var.tags
}

# The same queue for moto: moto returns the redrive policy re-serialised (json.dumps spacing) and the
# provider compares it as a string, so every plan would show a whitespace-only change (hashicorp/aws 5.100
# too: checked with one queue on moto, `plan -detailed-exitcode` exit 2, "redrive_policy ... whitespace changes").
resource "aws_sqs_queue" "emulated" {
  count = var.ignore_redrive_policy_changes ? 1 : 0

  name                       = var.name
  visibility_timeout_seconds = var.visibility_timeout_seconds
  message_retention_seconds  = var.message_retention_seconds
  receive_wait_time_seconds  = var.receive_wait_time_seconds
  redrive_policy             = local.redrive_policy
  policy                     = local.queue_policy
  # SSE with the platform key: EventBridge can deliver to a queue encrypted with a customer managed
  # key whose policy lets it in, never to one under the AWS managed alias/aws/sqs.
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_data_key_reuse_period_seconds
  tags                              = var.tags

  lifecycle {
    ignore_changes = [redrive_policy]
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = var.rules

  name           = each.value.name
  description    = each.value.description
  event_bus_name = var.bus_name
  event_pattern  = each.value.event_pattern
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = var.rules

  rule           = aws_cloudwatch_event_rule.this[each.key].name
  event_bus_name = var.bus_name
  target_id      = "sqs"
  arn            = local.queue.arn
}

# The policy was an aws_sqs_queue_policy until the queue carried it: forget that resource rather than delete
# the policy (its delete would race the queue's update that sets the same policy).
removed {
  from = aws_sqs_queue_policy.this

  lifecycle {
    destroy = false
  }
}

# Anything in the DLQ is a message that failed max_receive_count times: alarm on the first one.
resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  alarm_name          = "${local.dlq_name}-depth"
  alarm_description   = "Messages waiting in ${local.dlq_name}: inspect with `smartpay dlq` and redrive or fix."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = compact([var.alarm_topic_arn])
  ok_actions          = compact([var.alarm_topic_arn])
  tags                = var.tags
}
