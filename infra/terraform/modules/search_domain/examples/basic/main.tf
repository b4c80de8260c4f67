# A one-node search domain readable and writable by one role.

module "kms_key" {
  source = "../../../kms_key"

  name                    = "example-data"
  deletion_window_in_days = 7
}

module "search" {
  source = "../.."

  domain_name             = "example-search"
  reader_writer_role_arns = ["arn:aws:iam::123456789012:role/example-chat-api"]
  kms_key_arn             = module.kms_key.key_arn
}

output "endpoint" {
  description = "Endpoint of the domain."
  value       = module.search.endpoint
}
