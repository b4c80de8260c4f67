output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Unqualified ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "version" {
  description = "Published version the alias points at."
  value       = aws_lambda_function.this.version
}

output "alias_name" {
  description = "Name of the alias."
  value       = aws_lambda_alias.this.name
}

output "alias_arn" {
  description = "ARN of the alias (what the event source mapping and the API invoke)."
  value       = aws_lambda_alias.this.arn
}

output "alias_invoke_arn" {
  description = "Invoke ARN of the alias, for API Gateway integrations."
  value       = aws_lambda_alias.this.invoke_arn
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "policy" {
  description = "The execution role's inline policy document."
  value       = aws_iam_role_policy.this.policy
}

output "log_group_name" {
  description = "Log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "event_source_mapping_uuids" {
  description = "UUIDs of the event source mappings (empty when disabled)."
  value       = aws_lambda_event_source_mapping.this[*].uuid
}

output "code_sha256" {
  description = "sha256 of the deployed zip, base64 (Lambda's CodeSha256); also in the alias description. Empty for an Image (see image_uri)."
  value       = local.code_sha256
}

output "package_type" {
  description = "Zip or Image."
  value       = aws_lambda_function.this.package_type
}

output "image_uri" {
  description = "The image behind the alias (an Image; empty for a Zip); also in the alias description."
  value       = local.is_image ? var.image_uri : ""
}

output "schedule_rule_name" {
  description = "The schedule's EventBridge rule (default bus); empty without a schedule."
  value       = try(aws_cloudwatch_event_rule.schedule[0].name, "")
}
