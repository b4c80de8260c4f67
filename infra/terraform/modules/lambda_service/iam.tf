# Least privilege: own log group, X-Ray, PutEvents only as smartpay.<service> and only for the event
# types the service emits, own queue(s) only,
# the platform KMS key only, plus whatever the caller grants on its own tables, buckets and secrets.
# The only "*" resources are actions without resource-level permissions (X-Ray, VPC ENIs).

locals {
  log_group_arn = aws_cloudwatch_log_group.this.arn

  statements = concat(
    [
      {
        Sid      = "OwnLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${local.log_group_arn}:*", "${local.log_group_arn}:log-stream:*"]
      },
      {
        # X-Ray has no resource-level permissions.
        Sid      = "XRay"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      },
    ],
    # Only as its own source AND only the event types it emits: both keys must match (IAM ANDs the
    # keys of a condition and ORs the values of one key). Rules pin each type to its producer's source.
    var.event_bus_arn == "" || length(var.event_detail_types) == 0 ? [] : [
      {
        Sid      = "PublishAsOwnSource"
        Effect   = "Allow"
        Action   = ["events:PutEvents"]
        Resource = [var.event_bus_arn]
        Condition = { StringEquals = {
          "events:source"      = var.event_source
          "events:detail-type" = sort(distinct(var.event_detail_types))
        } }
      },
    ],
    length(var.sqs_queue_arns) == 0 ? [] : [
      {
        # GetQueueAttributes is what an event source mapping checks before it polls.
        Sid      = "ConsumeOwnQueue"
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
        Resource = var.sqs_queue_arns
      },
    ],
    var.package_type != "Image" ? [] : [
      {
        # The function's own repository only. Not what authorizes Lambda's pull (the service principal, under the
        # repository policy: modules/service/image.tf); grants nothing beyond the function's own image.
        Sid      = "PullOwnImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = [var.image_repository_arn]
      },
    ],
    var.kms_key_arn == null ? [] : [
      {
        # Reading an SSE-KMS queue, table, bucket or secret and writing to one needs the key too.
        Sid      = "UsePlatformKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
        Resource = [var.kms_key_arn]
      },
    ],
    length(var.subnet_ids) == 0 ? [] : [
      {
        Sid      = "VpcNetworkInterfaces"
        Effect   = "Allow"
        Action   = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = ["*"]
      },
    ],
    [
      for index, statement in var.policy_statements : {
        Sid      = coalesce(statement.sid, "Extra${index}")
        Effect   = "Allow"
        Action   = statement.actions
        Resource = statement.resources
      }
    ],
  )
}

resource "aws_iam_role" "this" {
  name        = var.function_name
  description = "Execution role of ${var.function_name}"
  tags        = var.tags

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "this" {
  name   = "least-privilege"
  role   = aws_iam_role.this.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.statements })
}
