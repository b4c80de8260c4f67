output "name" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.bucket
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "tls_required" {
  description = "True when the bucket policy denies requests made without TLS."
  value       = length(aws_s3_bucket_policy.this) == 1
}
