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
  description = "One endpoint for every service (moto or LocalStack, e.g. http://127.0.0.1:4566); empty for AWS. Required for the local and localstack targets (TF_VAR_aws_endpoint_url): no file names a port."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_endpoint_url == "" || can(regex("^https?://", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be empty or an http(s) URL."
  }

  # No default emulator address: an apply of the local target goes to the emulator its caller names, never
  # to whatever listens on a fixed port (another checkout's stack), and never to AWS.
  validation {
    condition     = var.target == "aws" || var.aws_endpoint_url != ""
    error_message = "target ${var.target} needs the emulator's address: export TF_VAR_aws_endpoint_url=http://127.0.0.1:<port> (your stack's: `.venv/bin/smartpay stack env` prints it as AWS_ENDPOINT_URL). docs/terraform.md, \"By hand\"."
  }
}

variable "aws_endpoint_from_environment" {
  description = "Emulated targets only: true when the caller exports AWS_ENDPOINT_URL=<aws_endpoint_url> to Terraform (the local orchestrator does): the provider then reads the emulator's address from there, for every service, and providers.tf writes no endpoints block (hashicorp/aws 5.100 spends ~4.5 s of CPU validating one, three times per apply). false (by hand): the endpoints block names aws_endpoint_url for each service."
  type        = bool
  default     = false
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

variable "kms_deletion_window_in_days" {
  description = "Waiting period of the platform KMS key before a scheduled deletion (7-30 days)."
  type        = number
  default     = 30
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic for the alarms (DLQ depth); empty: create <prefix>-alarms."
  type        = string
  default     = ""
}

variable "api_throttling_rate_limit" {
  description = "Steady requests per second per API route, all callers together."
  type        = number
  default     = 100
}

variable "api_throttling_burst_limit" {
  description = "Burst per API route above the steady rate."
  type        = number
  default     = 200
}

variable "api_route_throttling" {
  description = "Per-route overrides, e.g. { \"POST /pay\" = { rate_limit = 50, burst_limit = 100 } }; apply after the service roots (the routes must exist)."
  type = map(object({
    rate_limit  = number
    burst_limit = number
  }))
  default = {}
}

variable "log_retention_in_days" {
  description = "Retention of the platform's log groups (API access log)."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- what the service roots put in their functions' environment (docs/terraform.md, "Environment contract") ---

variable "redis_url" {
  description = "Redis of the functions (velocity features, gateway health, rate limit buckets) when the cache is off, e.g. redis://127.0.0.1:6379/0 locally; ignored with the cache (its address wins)."
  type        = string
  default     = ""

  validation {
    condition     = var.redis_url == "" || can(regex("^rediss?://", var.redis_url))
    error_message = "redis_url must be a redis:// or rediss:// URL."
  }
}

variable "api_rate_limit_per_second" {
  description = "Per-merchant rate limit of every API function (SMARTPAY_API_RATE_LIMIT_PER_SECOND, a token bucket in Redis); 0 turns it off (locally the gateway limits instead)."
  type        = number
  default     = 50

  validation {
    condition     = var.api_rate_limit_per_second >= 0
    error_message = "api_rate_limit_per_second must be 0 (off) or more."
  }
}

variable "api_rate_limit_burst" {
  description = "Requests a merchant may save up (SMARTPAY_API_RATE_LIMIT_BURST)."
  type        = number
  default     = 100

  validation {
    condition     = var.api_rate_limit_burst >= 1
    error_message = "api_rate_limit_burst must be at least 1."
  }
}

variable "bucket_name_suffix" {
  description = "Suffix making the artifact bucket's name globally unique on AWS (e.g. the account ID); empty locally."
  type        = string
  default     = ""
}

variable "force_destroy_buckets" {
  description = "Let destroy delete the non-empty artifact bucket (true for emulators and throwaway stacks)."
  type        = bool
  default     = false
}

variable "bucket_lifecycle" {
  description = "Lifecycle rules on the root's buckets (noncurrent versions expire, stale multipart uploads abort). false locally: nothing on the emulator outlives it, and hashicorp/aws 5.x spends ~55 s per bucket waiting for the rules to read back."
  type        = bool
  default     = true
}
