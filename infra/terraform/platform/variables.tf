variable "name_prefix" {
  description = "Prefix of every resource name (naming contract: docs/terraform.md)."
  type        = string
  default     = "smartpay"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 characters: lowercase letters, digits, hyphens, starting with a letter."
  }
}

variable "target" {
  description = "Where this is applied: local (moto), localstack or aws. Recorded in tags and outputs."
  type        = string
  default     = "aws"

  validation {
    condition     = contains(["local", "localstack", "aws"], var.target)
    error_message = "target must be local, localstack or aws."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "aws_endpoint_url" {
  description = "One endpoint for every service (moto or LocalStack, e.g. http://127.0.0.1:4566); empty for AWS."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_endpoint_url == "" || can(regex("^https?://", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be empty or an http(s) URL."
  }
}

variable "archive_retention_days" {
  description = "Days the bus archive keeps events (0 = forever)."
  type        = number
  default     = 30
}

variable "password_minimum_length" {
  description = "Minimum password length of the user pool."
  type        = number
  default     = 12
}

variable "enable_cache" {
  description = "Create the ElastiCache Redis (off locally: the local Redis plays it)."
  type        = bool
  default     = true
}

variable "cache_node_type" {
  description = "Node type of the cache."
  type        = string
  default     = "cache.t4g.micro"
}

variable "cache_subnet_ids" {
  description = "Subnets of the cache; empty uses the default VPC."
  type        = list(string)
  default     = []
}

variable "cache_security_group_ids" {
  description = "Security groups of the cache."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
