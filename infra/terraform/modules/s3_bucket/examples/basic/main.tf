# A versioned private bucket.

module "kms_key" {
  source = "../../../kms_key"

  name                    = "example-data"
  deletion_window_in_days = 7
}

module "bucket" {
  source = "../.."

  name        = "example-models-123456789012"
  versioning  = true
  kms_key_arn = module.kms_key.key_arn
}

output "arn" {
  description = "ARN of the bucket."
  value       = module.bucket.arn
}
