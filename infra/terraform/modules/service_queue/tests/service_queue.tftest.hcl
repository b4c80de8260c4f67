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
}

run "rejects_bad_receive_count" {
  command = plan

  variables {
    max_receive_count = 0
  }

  expect_failures = [var.max_receive_count]
}
