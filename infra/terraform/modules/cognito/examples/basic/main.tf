# A user pool with the merchant attribute, admin group and app client.

module "cognito" {
  source = "../.."

  name        = "example-users"
  client_name = "example-app"
}

output "client_id" {
  description = "ID of the app client."
  value       = module.cognito.client_id
}
