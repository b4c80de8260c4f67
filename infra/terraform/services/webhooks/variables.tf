variable "target" {
  description = "Where this is applied: local (moto), localstack or aws."
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

variable "platform_state_backend" {
  description = "Backend type of the platform root's state (local, s3, ...)."
  type        = string
  default     = "local"
}

variable "platform_state_config" {
  description = "Backend config of the platform root's state, as terraform_remote_state takes it."
  type        = map(string)
  default     = { path = "../../platform/terraform.tfstate" }
}

variable "lambda_zip_path" {
  description = "The service's `make package` zip (self-contained: its code and every third-party package it needs, docs/terraform.md \"Packages\"). The local target deploys the code-only zip of smartpay_shared.local.terraform instead (local.tfvars)."
  type        = string
  default     = "../../../../.local/build/package/webhooks.zip"
}

variable "package_type" {
  description = "Zip or Image; null: the manifest's lambda_package.package_type (Zip for webhooks). local.tfvars deploys Zip (docs/terraform.md, \"What is off locally\")."
  type        = string
  default     = null
}

variable "image_tag" {
  description = "Image only: the tag pushed to the service's ECR repository; empty: the sha256 (hex) of lambda_zip_path (docs/terraform.md, \"Pushing the images\")."
  type        = string
  default     = ""
}

variable "lambda_runtime" {
  description = "Lambda runtime, the same locally and on AWS: python3.11 (the services' Python; what make package builds for)."
  type        = string
  default     = "python3.11"
}

variable "lambda_layers" {
  description = "Layer ARNs carrying the third-party dependencies (e.g. the Powertools layer)."
  type        = list(string)
  default     = []
}

variable "lambda_timeout" {
  description = "Timeout of the service's Lambdas, seconds."
  type        = number
  default     = 30
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the service queue (AWS advises 6x the Lambda timeout)."
  type        = number
  default     = 180
}

variable "max_receive_count" {
  description = "Receives before a message goes to the DLQ."
  type        = number
  default     = 5
}

variable "enable_event_source_mapping" {
  description = "Connect the worker Lambda to the queue (false locally: a worker process polls instead)."
  type        = bool
  default     = true
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery on the root's tables (off in local.tfvars: nothing on an emulator outlives a restart)."
  type        = bool
  default     = true
}

variable "log_retention_in_days" {
  description = "Retention of the Lambda log groups (a year: PCI DSS 10.5.1)."
  type        = number
  default     = 365
}

variable "subnet_ids" {
  description = "Subnets for the Lambdas (to reach the cache); empty: no VPC."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups for the Lambdas when subnet_ids is set."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "immutable_releases" {
  description = "One version is one artifact: a plan that would put other code behind an alias already released (the same VERSION) fails (docs/terraform.md, \"Releases and rollback\"). false in local.tfvars, where edited code is re-applied under the same version."
  type        = bool
  default     = true
}

variable "require_https" {
  description = "Endpoint URLs must be https (WEBHOOKS_REQUIRE_HTTPS). false only in local.tfvars, where the demo's receiver speaks plain HTTP on 127.0.0.1."
  type        = bool
  default     = true

  validation {
    condition     = var.require_https || var.target != "aws"
    error_message = "On AWS webhook endpoints must be https."
  }
}

variable "allow_loopback" {
  description = "Endpoint URLs may resolve to loopback (WEBHOOKS_ALLOW_LOOPBACK): true only in local.tfvars. Link-local (the metadata service) and private ranges are refused whatever this says."
  type        = bool
  default     = false

  validation {
    condition     = !var.allow_loopback || var.target != "aws"
    error_message = "On AWS a webhook endpoint may not resolve to loopback."
  }
}

variable "first_attempt_timeout_seconds" {
  description = "Timeout of a delivery's first attempt, made by the event consumer as the outcome arrives (WEBHOOKS_FIRST_ATTEMPT_TIMEOUT_SECONDS); retries have the 5 s request timeout."
  type        = number
  default     = 1

  validation {
    condition     = var.first_attempt_timeout_seconds > 0 && var.first_attempt_timeout_seconds <= 30
    error_message = "first_attempt_timeout_seconds must be within (0, 30]."
  }
}

variable "first_attempt_width" {
  description = "First attempts one consumer instance makes at once (WEBHOOKS_FIRST_ATTEMPT_WIDTH); beyond, and with 0, the deliverer makes them from the delivery queue."
  type        = number
  default     = 16

  validation {
    condition     = var.first_attempt_width >= 0 && var.first_attempt_width <= 64 && floor(var.first_attempt_width) == var.first_attempt_width
    error_message = "first_attempt_width must be an integer within [0, 64]."
  }
}

variable "endpoints_cache_seconds" {
  description = "How long the event consumer reuses a merchant's endpoint list (WEBHOOKS_ENDPOINTS_CACHE_SECONDS); an endpoint change reaches it within this time. 0 reads the list for every event."
  type        = number
  default     = 2

  validation {
    condition     = var.endpoints_cache_seconds >= 0 && var.endpoints_cache_seconds <= 60
    error_message = "endpoints_cache_seconds must be within [0, 60]."
  }
}

variable "retry_base_seconds" {
  description = "Backoff: delay before the first retry (WEBHOOKS_RETRY_BASE_SECONDS)."
  type        = number
  default     = 5
}

variable "retry_factor" {
  description = "Backoff: growth of the delay per attempt (WEBHOOKS_RETRY_FACTOR)."
  type        = number
  default     = 4
}

variable "retry_cap_seconds" {
  description = "Backoff: longest delay between two attempts (WEBHOOKS_RETRY_CAP_SECONDS)."
  type        = number
  default     = 36000
}

variable "max_attempts" {
  description = "Attempts before a delivery fails for good (WEBHOOKS_MAX_ATTEMPTS). With the defaults the retries span 27.6 h at least."
  type        = number
  default     = 10

  validation {
    condition     = var.max_attempts >= 1 && var.max_attempts <= 30 && floor(var.max_attempts) == var.max_attempts
    error_message = "max_attempts must be an integer within [1, 30]."
  }

  # Issue #19: on AWS the retries span at least 24 h (every jitter at 0): a short schedule is for local runs
  # (the chaos bench's receiver is down for a minute, not a day).
  validation {
    condition = var.target != "aws" || sum(concat([0], [
      for n in range(1, var.max_attempts) : min(var.retry_cap_seconds, var.retry_base_seconds * pow(var.retry_factor, n - 1))
    ])) >= 86400
    error_message = "On AWS the retry schedule must span at least 24 hours (retry_base_seconds, retry_factor, retry_cap_seconds, max_attempts)."
  }
}

variable "endpoint_max_concurrency" {
  description = "Attempts in flight to one merchant endpoint at most, every instance together (WEBHOOKS_ENDPOINT_MAX_CONCURRENCY)."
  type        = number
  default     = 8

  validation {
    condition     = var.endpoint_max_concurrency >= 1 && var.endpoint_max_concurrency <= 256 && floor(var.endpoint_max_concurrency) == var.endpoint_max_concurrency
    error_message = "endpoint_max_concurrency must be an integer within [1, 256]."
  }
}

variable "endpoint_rate_per_second" {
  description = "Attempts per second to one merchant endpoint at most, sustained (WEBHOOKS_ENDPOINT_RATE_PER_SECOND)."
  type        = number
  default     = 25

  validation {
    condition     = var.endpoint_rate_per_second > 0 && var.endpoint_rate_per_second <= 1000
    error_message = "endpoint_rate_per_second must be within (0, 1000]."
  }
}

variable "endpoint_rate_burst" {
  description = "Attempts to one merchant endpoint that may go at once above the rate (WEBHOOKS_ENDPOINT_RATE_BURST)."
  type        = number
  default     = 50

  validation {
    condition     = var.endpoint_rate_burst >= 1 && var.endpoint_rate_burst <= 10000 && floor(var.endpoint_rate_burst) == var.endpoint_rate_burst
    error_message = "endpoint_rate_burst must be an integer within [1, 10000]."
  }
}
