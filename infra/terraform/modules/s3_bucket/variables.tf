variable "name" {
  description = "Bucket name (globally unique on AWS: add an account or random suffix there)."
  type        = string
  default     = "smartpay-bucket"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "Bucket names are 3-63 characters of lowercase letters, digits, dots and hyphens."
  }
}

variable "versioning" {
  description = "Whether to keep object versions."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Allow destroying a non-empty bucket (true for emulators and throwaway stacks)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the bucket (SSE-KMS); null: the AWS managed key alias/aws/s3."
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted object version stays restorable."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}

variable "require_tls" {
  description = "Deny every request not made over TLS (aws:SecureTransport). Off only for the local emulator, which serves plain HTTP and enforces bucket policies."
  type        = bool
  default     = true
}

variable "lifecycle_rules" {
  description = "Expire noncurrent versions after noncurrent_version_expiration_days and abort stale multipart uploads (off only for an emulator: see main.tf)."
  type        = bool
  default     = true
}
