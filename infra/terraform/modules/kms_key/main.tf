# The platform's customer managed key: encryption at rest of queues, tables, buckets, log groups,
# Lambda environments, secrets and the alarm topic. A CMK (not the AWS managed keys) because
# EventBridge can deliver to an encrypted queue, CloudWatch Logs can encrypt a log group and
# CloudWatch can publish to an encrypted topic only when the key policy lets those services in.

data "aws_caller_identity" "this" {}
data "aws_partition" "this" {}
data "aws_region" "this" {}

locals {
  account = data.aws_caller_identity.this.account_id
  root    = "arn:${data.aws_partition.this.partition}:iam::${local.account}:root"

  policy = {
    Version = "2012-10-17"
    Statement = [
      {
        # The standard key policy statement: IAM policies of this account decide who may use the key
        # (the service roles get Decrypt/GenerateDataKey on this key only, see lambda_service/iam.tf).
        Sid       = "AccountIamPolicies"
        Effect    = "Allow"
        Principal = { AWS = local.root }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "EventBridgeToEncryptedQueues"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
      {
        Sid       = "CloudWatchAlarmsToEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
      {
        Sid       = "CloudWatchLogsOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = "logs.${data.aws_region.this.name}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${data.aws_partition.this.partition}:logs:${data.aws_region.this.name}:${local.account}:log-group:*"
          }
        }
      },
    ]
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  deletion_window_in_days = var.deletion_window_in_days
  enable_key_rotation     = true
  policy                  = jsonencode(local.policy)
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
