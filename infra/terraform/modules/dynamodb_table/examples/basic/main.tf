# A table with a sort key, TTL, a stream and one index.

module "kms_key" {
  source = "../../../kms_key"

  name                    = "example-data"
  deletion_window_in_days = 7
}

module "table" {
  source = "../.."

  name           = "example-orders"
  hash_key       = "order_id"
  range_key      = "version"
  range_key_type = "N"
  ttl_attribute  = "expires_at"
  stream_enabled = true
  kms_key_arn    = module.kms_key.key_arn

  global_secondary_indexes = [{
    name      = "by_customer"
    hash_key  = "customer_id"
    range_key = "created_at"
  }]
}

output "stream_arn" {
  description = "ARN of the table's stream."
  value       = module.table.stream_arn
}
