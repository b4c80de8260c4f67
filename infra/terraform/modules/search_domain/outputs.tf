output "domain_name" {
  description = "Name of the domain (empty when not created)."
  value       = try(aws_elasticsearch_domain.this[0].domain_name, "")
}

output "domain_arn" {
  description = "ARN of the domain (empty when not created)."
  value       = try(aws_elasticsearch_domain.this[0].arn, "")
}

output "endpoint" {
  description = "HTTPS endpoint host of the domain (empty when not created)."
  value       = try(aws_elasticsearch_domain.this[0].endpoint, "")
}
