# An on-demand DynamoDB table: keys, optional TTL, stream and secondary indexes.

locals {
  key_attributes = merge(
    { (var.hash_key) = var.hash_key_type },
    var.range_key == "" ? {} : { (var.range_key) = var.range_key_type },
    { for index in var.global_secondary_indexes : index.hash_key => index.hash_key_type },
    { for index in var.global_secondary_indexes : index.range_key => index.range_key_type if index.range_key != null },
    { for index in var.local_secondary_indexes : index.range_key => index.range_key_type },
  )
}

resource "aws_dynamodb_table" "this" {
  name             = var.name
  billing_mode     = "PAY_PER_REQUEST"
  hash_key         = var.hash_key
  range_key        = var.range_key == "" ? null : var.range_key
  stream_enabled   = var.stream_enabled
  stream_view_type = var.stream_enabled ? var.stream_view_type : null
  tags             = var.tags

  # DynamoDB's own guard: DeleteTable is refused whoever asks (deletion_guard.tf guards against Terraform).
  deletion_protection_enabled = var.deletion_protection

  dynamic "attribute" {
    for_each = local.key_attributes
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute == "" ? [] : [var.ttl_attribute]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  dynamic "global_secondary_index" {
    for_each = var.global_secondary_indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = global_secondary_index.value.projection_type
    }
  }

  dynamic "local_secondary_index" {
    for_each = var.local_secondary_indexes
    content {
      name            = local_secondary_index.value.name
      range_key       = local_secondary_index.value.range_key
      projection_type = local_secondary_index.value.projection_type
    }
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  # Always encrypted at rest; kms_key_arn null means the AWS managed key alias/aws/dynamodb.
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
