output "key_arn" {
  description = "ARN of the key (what the other modules take as kms_key_arn)."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Alias of the key (alias/<name>)."
  value       = aws_kms_alias.this.name
}

output "policy" {
  description = "The key policy."
  value       = aws_kms_key.this.policy
}
