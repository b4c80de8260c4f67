# A versioned private bucket.

module "bucket" {
  source = "../.."

  name       = "example-models-123456789012"
  versioning = true
}

output "arn" {
  description = "ARN of the bucket."
  value       = module.bucket.arn
}
