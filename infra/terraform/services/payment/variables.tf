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
  default     = "../../../../.local/build/package/payment.zip"
}

variable "package_type" {
  description = "Zip or Image; null: the manifest's lambda_package.package_type (Zip for payment). local.tfvars deploys Zip (docs/terraform.md, \"What is off locally\")."
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

variable "deletion_protection" {
  description = "Deletion protection on the payments table: Terraform refuses any plan that destroys or replaces it (modules/dynamodb_table/deletion_guard.tf). Off in local.tfvars, where stacks are created and destroyed all day."
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

variable "secret_recovery_window_in_days" {
  description = "Days a deleted gateway secret stays recoverable (7-30; 0 deletes at once, for emulators)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_in_days == 0 || (var.secret_recovery_window_in_days >= 7 && var.secret_recovery_window_in_days <= 30)
    error_message = "secret_recovery_window_in_days must be 0 or within 7-30."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# The gateways' addresses (PAYMENT_*): the real providers by default; local.tfvars points them at the local
# emulators on their default ports, and a local stack passes the ports it chose.
variable "stripe_api_base" {
  description = "Stripe API base URL (PAYMENT_STRIPE_API_BASE)."
  type        = string
  default     = "https://api.stripe.com"
}

variable "amazon_pay_endpoint" {
  description = "Amazon Pay API endpoint (PAYMENT_AMAZON_PAY_ENDPOINT): pay-api.amazon.com (NA), .eu or .jp."
  type        = string
  default     = "https://pay-api.amazon.com"
}

variable "solana_rpc_url" {
  description = "Solana JSON-RPC endpoint (PAYMENT_SOLANA_RPC_URL). The connector's wallets are sandbox wallets: devnet."
  type        = string
  default     = "https://api.devnet.solana.com"
}

variable "fault_injection" {
  description = "Honour `smartpay_fault` directives in payment metadata (PAYMENT_FAULT_INJECTION): local stacks and tests only."
  type        = bool
  default     = false
}

variable "immutable_releases" {
  description = "One version is one artifact: a plan that would put other code behind an alias already released (the same VERSION) fails (docs/terraform.md, \"Releases and rollback\"). false in local.tfvars, where edited code is re-applied under the same version."
  type        = bool
  default     = true
}
