# A one-node search domain readable and writable by one role.

module "search" {
  source = "../.."

  domain_name             = "example-search"
  reader_writer_role_arns = ["arn:aws:iam::123456789012:role/example-chat-api"]
}

output "endpoint" {
  description = "Endpoint of the domain."
  value       = module.search.endpoint
}
