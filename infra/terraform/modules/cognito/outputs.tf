output "user_pool_id" {
  description = "ID of the user pool."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "user_pool_endpoint" {
  description = "Endpoint of the pool (cognito-idp.<region>.amazonaws.com/<id>)."
  value       = aws_cognito_user_pool.this.endpoint
}

output "issuer_url" {
  description = "JWT issuer (iss) of the pool's tokens."
  value       = "https://${aws_cognito_user_pool.this.endpoint}"
}

output "client_id" {
  description = "ID of the app client."
  value       = aws_cognito_user_pool_client.this.id
}

output "group_names" {
  description = "Names of the groups."
  value       = [for group in aws_cognito_user_group.this : group.name]
}

output "merchant_claim" {
  description = "Claim of the ID token that carries the merchant."
  value       = "custom:${var.merchant_attribute_name}"
}

output "read_attributes" {
  description = "Attributes the app client may read (the merchant attribute among them)."
  value       = aws_cognito_user_pool_client.this.read_attributes
}

output "write_attributes" {
  description = "Attributes a user may write with its own access token (never the merchant attribute)."
  value       = aws_cognito_user_pool_client.this.write_attributes
}

output "mfa_configuration" {
  description = "MFA of the pool (TOTP software tokens)."
  value       = aws_cognito_user_pool.this.mfa_configuration
}
