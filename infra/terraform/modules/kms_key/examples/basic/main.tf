# The data key with a short deletion window, as a throwaway stack would use it.

module "kms_key" {
  source = "../.."

  name                    = "example-data"
  deletion_window_in_days = 7
  tags                    = { Example = "kms_key" }
}

output "key_arn" {
  description = "ARN of the key."
  value       = module.kms_key.key_arn
}
