variable "create" {
  description = "Whether to create the domain (false locally)."
  type        = bool
  default     = true
}

variable "domain_name" {
  description = "Name of the domain."
  type        = string
  default     = "smartpay-search"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,27}$", var.domain_name))
    error_message = "Domain names are 3-28 characters: lowercase letters, digits, hyphens; starting with a letter."
  }
}

variable "engine_version" {
  description = "Elasticsearch version of the domain."
  type        = string
  default     = "7.10"
}

variable "instance_type" {
  description = "Instance type of the data nodes."
  type        = string
  default     = "t3.small.elasticsearch"
}

variable "instance_count" {
  description = "Number of data nodes."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1
    error_message = "instance_count must be at least 1."
  }
}

variable "volume_size" {
  description = "EBS volume per node, GiB."
  type        = number
  default     = 10

  validation {
    condition     = var.volume_size >= 10
    error_message = "volume_size must be at least 10 GiB."
  }
}

variable "dedicated_master_count" {
  description = "Dedicated master nodes (0: none; 3 for production)."
  type        = number
  default     = 0

  validation {
    condition     = contains([0, 3, 5], var.dedicated_master_count)
    error_message = "dedicated_master_count must be 0, 3 or 5."
  }
}

variable "dedicated_master_type" {
  description = "Instance type of the dedicated masters."
  type        = string
  default     = "t3.small.elasticsearch"
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest and the log group; null: the AWS managed key (alias/aws/es)."
  type        = string
  default     = null
}

variable "log_retention_in_days" {
  description = "Retention of the domain's application and slow-search logs."
  type        = number
  default     = 365
}

variable "subnet_ids" {
  description = "Subnets for VPC placement; empty: a public HTTPS endpoint behind the IAM-only policy."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the domain when subnet_ids is set."
  type        = list(string)
  default     = []
}

variable "reader_writer_role_arns" {
  description = "IAM roles allowed to read and write the indexes."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for the domain."
  type        = map(string)
  default     = {}
}
