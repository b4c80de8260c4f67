output "name" {
  description = "Name of the table."
  value       = aws_dynamodb_table.this.name
}

output "arn" {
  description = "ARN of the table."
  value       = aws_dynamodb_table.this.arn
}

output "stream_arn" {
  description = "ARN of the stream (empty when disabled)."
  value       = var.stream_enabled ? aws_dynamodb_table.this.stream_arn : ""
}

output "deletion_protected" {
  description = "Whether the deletion guard holds the table (deletion_guard.tf)."
  value       = length(terraform_data.deletion_guard) == 1
}
