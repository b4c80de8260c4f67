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
  description = "The service's `make package` zip (self-contained: its code and every third-party package it needs, docs/terraform.md \"Packages\"). Image service: its sha256 is the image's tag (image_tag), the zip holding exactly the image's /var/task. The local target deploys the code-only zip of smartpay_shared.local.terraform instead (local.tfvars)."
  type        = string
  default     = "../../../../.local/build/package/rewards.zip"
}

variable "package_type" {
  description = "Zip or Image; null: the manifest's lambda_package.package_type (Image for rewards). local.tfvars deploys Zip (docs/terraform.md, \"What is off locally\")."
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
  description = "Deletion protection on the ledger and accounts tables: Terraform refuses any plan that destroys or replaces them (modules/dynamodb_table/deletion_guard.tf). Off in local.tfvars, where stacks are created and destroyed all day."
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

variable "default_earn_rate" {
  description = "Points per major unit of a captured amount for merchants without a rate of their own (REWARDS_DEFAULT_EARN_RATE): a decimal string in (0, 1000]."
  type        = string
  default     = "1"

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9]+)?$", var.default_earn_rate)) && try(tonumber(var.default_earn_rate) > 0 && tonumber(var.default_earn_rate) <= 1000, false)
    error_message = "default_earn_rate must be a decimal string within (0, 1000]."
  }
}

variable "merchant_earn_rates" {
  description = "Earn rate per merchant id (REWARDS_MERCHANT_EARN_RATES, as JSON): decimal strings in (0, 1000]."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for m, r in var.merchant_earn_rates : can(regex("^[A-Za-z0-9_-]{1,64}$", m)) && can(regex("^[0-9]+(\\.[0-9]+)?$", r)) && try(tonumber(r) > 0 && tonumber(r) <= 1000, false)])
    error_message = "merchant_earn_rates: merchant ids of [A-Za-z0-9_-]{1,64}, rates as decimal strings within (0, 1000]."
  }
}

variable "solana_rpc_url" {
  description = "Solana JSON-RPC endpoint of the points mint and the pool (REWARDS_SOLANA_RPC_URL); a local stack sets its Solana sandbox."
  type        = string
  default     = "https://api.devnet.solana.com"

  validation {
    condition     = can(regex("^https?://", var.solana_rpc_url))
    error_message = "solana_rpc_url must be an http(s) URL."
  }
}

variable "exchange_venue" {
  description = "Where redemptions settle (REWARDS_EXCHANGE_VENUE): pool (the constant-product pool on chain) or ccxt (a centralised exchange through ccxt: adds the exchange-api-key secret, readable by the API only)."
  type        = string
  default     = "pool"

  validation {
    condition     = contains(["pool", "ccxt"], var.exchange_venue)
    error_message = "exchange_venue must be pool or ccxt."
  }
}

variable "exchange_id" {
  description = "The ccxt exchange id when exchange_venue is ccxt (REWARDS_EXCHANGE_ID): binance, the exchange whose order parameters and error codes the adapter maps."
  type        = string
  default     = "binance"

  validation {
    condition     = contains(["binance"], var.exchange_id)
    error_message = "exchange_id must be binance (another exchange needs its own mapping in smartpay_rewards/exchange/cex.py first)."
  }
}

variable "exchange_point_value" {
  description = "What one point buys at the exchange, in its quote currency (REWARDS_EXCHANGE_POINT_VALUE), when exchange_venue is ccxt: a decimal string above 0."
  type        = string
  default     = "0.01"

  validation {
    condition     = can(regex("^[0-9]{1,9}(\\.[0-9]{1,12})?$", var.exchange_point_value)) && try(tonumber(var.exchange_point_value) > 0, false)
    error_message = "exchange_point_value must be a decimal string above 0 (at most 9 integer and 12 fraction digits)."
  }
}

variable "exchange_quote_currency" {
  description = "The exchange's quote currency (REWARDS_EXCHANGE_QUOTE_CURRENCY) when exchange_venue is ccxt: SOL is bought on SOL/<this>."
  type        = string
  default     = "USDT"

  validation {
    condition     = can(regex("^[A-Z0-9]{2,10}$", var.exchange_quote_currency))
    error_message = "exchange_quote_currency must be 2-10 upper-case letters or digits (e.g. USDT)."
  }
}

variable "mint_batch_size" {
  description = "Mint orders per transaction at most (REWARDS_MINT_BATCH_SIZE), 1-40."
  type        = number
  default     = 20

  validation {
    condition     = var.mint_batch_size >= 1 && var.mint_batch_size <= 40
    error_message = "mint_batch_size must be within 1-40."
  }
}

variable "offer_model_s3_uri" {
  description = "A Vowpal Wabbit offer checkpoint, s3://bucket/key (REWARDS_OFFER_MODEL_S3_URI); empty: the uniform policy."
  type        = string
  default     = ""

  validation {
    condition     = var.offer_model_s3_uri == "" || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$", var.offer_model_s3_uri))
    error_message = "offer_model_s3_uri must be empty or s3://bucket/key."
  }
}

variable "secret_recovery_window_in_days" {
  description = "Days a deleted key secret stays recoverable (7-30; 0 deletes at once, for emulators)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_window_in_days == 0 || (var.secret_recovery_window_in_days >= 7 && var.secret_recovery_window_in_days <= 30)
    error_message = "secret_recovery_window_in_days must be 0 or within 7-30."
  }
}
