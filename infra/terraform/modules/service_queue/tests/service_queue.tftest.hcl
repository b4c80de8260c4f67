# Queue + DLQ wiring, one target per rule, and the queue policy naming exactly those rules.

mock_provider "aws" {
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/mock" }
  }
}

variables {
  name              = "test-svc"
  max_receive_count = 3
  rules = {
    "a.happened" = { name = "test-svc-a-happened", event_pattern = "{\"detail-type\":[\"a.happened\"]}" }
    "b.happened" = { name = "test-svc-b-happened", event_pattern = "{\"detail-type\":[\"b.happened\"]}" }
  }
}

run "aws_layout" {
  command = apply

  # ARNs as AWS forms them, so the policy's Resource (derived from the DLQ's ARN) can be checked.
  override_resource {
    target = aws_sqs_queue.dlq
    values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-svc-dlq" }
  }
  override_resource {
    target = aws_sqs_queue.this
    values = { arn = "arn:aws:sqs:us-east-1:123456789012:test-svc" }
  }

  assert {
    condition     = aws_sqs_queue.dlq.name == "test-svc-dlq" && length(aws_sqs_queue.this) == 1 && length(aws_sqs_queue.emulated) == 0
    error_message = "One queue and its DLQ."
  }

  assert {
    condition     = jsondecode(aws_sqs_queue.this[0].redrive_policy) == { deadLetterTargetArn = aws_sqs_queue.dlq.arn, maxReceiveCount = 3 }
    error_message = "The queue redrives to its DLQ after max_receive_count receives."
  }

  assert {
    condition     = length(aws_cloudwatch_event_target.this) == 2 && alltrue([for t in aws_cloudwatch_event_target.this : t.arn == output.queue_arn])
    error_message = "One target per rule, all into the queue."
  }

  assert {
    condition     = toset(jsondecode(output.queue_policy).Statement[0].Condition.ArnEquals["aws:SourceArn"]) == toset([for r in aws_cloudwatch_event_rule.this : r.arn])
    error_message = "The queue policy admits exactly the subscribed rules."
  }

  assert {
    condition     = jsondecode(output.queue_policy).Statement[0].Resource == output.queue_arn && output.queue_arn == "arn:aws:sqs:us-east-1:123456789012:test-svc"
    error_message = "The queue policy names the queue itself."
  }

  assert {
    condition     = aws_sqs_queue.this[0].policy == output.queue_policy
    error_message = "The queue carries its policy (one resource: hashicorp/aws 5.x waits after each attribute change)."
  }
}

run "no_rules_no_policy" {
  command = apply

  variables {
    rules = {}
  }

  assert {
    condition     = output.queue_policy == "" && length(aws_cloudwatch_event_target.this) == 0
    error_message = "A queue no rule feeds has no policy."
  }
}

run "moto_layout" {
  command = apply

  variables {
    ignore_redrive_policy_changes = true
  }

  assert {
    condition     = length(aws_sqs_queue.this) == 0 && length(aws_sqs_queue.emulated) == 1 && output.queue_name == "test-svc"
    error_message = "For moto the same queue, with the redrive policy drift ignored."
  }

  assert {
    condition     = aws_sqs_queue.emulated[0].policy == output.queue_policy && output.queue_policy != ""
    error_message = "The same policy on the moto variant."
  }
}

run "rejects_bad_receive_count" {
  command = plan

  variables {
    max_receive_count = 0
  }

  expect_failures = [var.max_receive_count]
}

run "encrypted_and_alarmed" {
  command = apply

  variables {
    kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    alarm_topic_arn = "arn:aws:sns:us-east-1:123456789012:alarms"
  }

  assert {
    condition     = aws_sqs_queue.this[0].kms_master_key_id == var.kms_key_arn && aws_sqs_queue.dlq.kms_master_key_id == var.kms_key_arn
    error_message = "Queue and DLQ are encrypted with the given key."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.dlq_depth.metric_name == "ApproximateNumberOfMessagesVisible" &&
      aws_cloudwatch_metric_alarm.dlq_depth.dimensions["QueueName"] == "test-svc-dlq" &&
      aws_cloudwatch_metric_alarm.dlq_depth.threshold == 0 &&
      aws_cloudwatch_metric_alarm.dlq_depth.comparison_operator == "GreaterThanThreshold" &&
      tolist(aws_cloudwatch_metric_alarm.dlq_depth.alarm_actions) == tolist([var.alarm_topic_arn])
    )
    error_message = "The DLQ alarm fires on the first visible message and notifies the topic."
  }
}
