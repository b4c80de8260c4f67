variable "function_name" {
  description = "Name of the function (also of its role and log group)."
  type        = string
  default     = "smartpay-function"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1-64 characters of [A-Za-z0-9_-]."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""
}

variable "package_type" {
  description = "Zip (the zip in filename / s3_bucket + s3_key, with handler, runtime and layers) or Image (a container image in ECR: image_uri, optional image_command; no handler, runtime or layers)."
  type        = string
  default     = "Zip"

  validation {
    condition     = contains(["Zip", "Image"], var.package_type)
    error_message = "package_type must be Zip or Image."
  }
}

variable "image_uri" {
  description = "Image only: the image in ECR, <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>. Empty for a Zip."
  type        = string
  default     = ""

  validation {
    condition     = var.image_uri == "" || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$", var.image_uri))
    error_message = "image_uri must be an ECR image: <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>."
  }

  validation {
    condition     = var.package_type == "Image" || var.image_uri == ""
    error_message = "image_uri is for package_type Image only: a Zip deploys filename / s3_bucket + s3_key."
  }
}

variable "image_repository_arn" {
  description = "Image only: ARN of the ECR repository holding image_uri; the role may pull from it (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer) and from no other."
  type        = string
  default     = ""

  validation {
    condition     = var.package_type == "Image" ? can(regex("^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository/[a-z0-9][a-z0-9._/-]*$", var.image_repository_arn)) : var.image_repository_arn == ""
    error_message = "An Image needs image_repository_arn (arn:aws:ecr:<region>:<account>:repository/<name>); a Zip has none."
  }
}

variable "image_command" {
  description = "Image only: the function's command (image_config.command), e.g. [\"pkg.entrypoints.api.lambda_handler\"]; empty: the image's default CMD (the worker's handler)."
  type        = list(string)
  default     = []

  validation {
    condition     = var.package_type == "Image" || length(var.image_command) == 0
    error_message = "image_command is for package_type Image only: a Zip names its handler."
  }
}

variable "handler" {
  description = "Handler as module.path.function (Lambda's form, not module:function)."
  type        = string
  default     = "index.lambda_handler"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.]+\\.[A-Za-z0-9_]+$", var.handler))
    error_message = "handler must look like package.module.function."
  }
}

variable "runtime" {
  description = "Lambda Python runtime, the same on every target: python3.11 is what the services and make package are built for."
  type        = string
  default     = "python3.11"

  validation {
    # Managed Python runtimes AWS still accepts for new functions (python3.8 and 3.9 are end-of-life).
    condition     = contains(["python3.11", "python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be a supported Lambda Python runtime: python3.11 (the services' Python), python3.12 or python3.13."
  }
}

variable "filename" {
  description = "Path of the deployment zip (built before plan/apply)."
  type        = string
  default     = "lambda.zip"
}

variable "s3_bucket" {
  description = "Bucket holding the deployment zip (the platform's artifact bucket); null: upload `filename` directly. `filename` is still the local copy its sha256 is taken from."
  type        = string
  default     = null
}

variable "s3_key" {
  description = "Key of the zip in s3_bucket (named after the zip's sha256: one key, one content)."
  type        = string
  default     = null

  validation {
    condition     = var.s3_key == null || can(regex("^[A-Za-z0-9_./-]+\\.zip$", var.s3_key))
    error_message = "s3_key must be a path ending in .zip."
  }
}

variable "alias_name" {
  description = "Alias pointing at the published version, named after the service version (v0_1_0)."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.alias_name)) && !can(regex("^[0-9]+$", var.alias_name))
    error_message = "alias_name must be 1-128 characters of [A-Za-z0-9_-] and not only digits."
  }
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be within 128-10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds (keep the queue's visibility timeout above it)."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be within 1-900."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; -1 means unreserved."
  type        = number
  default     = -1
}

variable "layers" {
  description = "Layer ARNs (Zip only), e.g. the Powertools layer that carries the third-party dependencies."
  type        = list(string)
  default     = []

  validation {
    condition     = var.package_type == "Zip" || length(var.layers) == 0
    error_message = "An Image takes no layers: its third-party code is in the image."
  }
}

variable "environment_variables" {
  description = "Environment of the function."
  type        = map(string)
  default     = {}
}

variable "tracing_mode" {
  description = "X-Ray tracing mode."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the function's log group (a year by default: PCI DSS 10.5.1 keeps audit logs 12 months)."
  type        = number
  default     = 365

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of the values CloudWatch Logs accepts."
  }
}

variable "event_bus_arn" {
  description = "Bus the function may publish to (empty: no PutEvents permission)."
  type        = string
  default     = ""
}

variable "event_source" {
  description = "The only `source` the function may publish with (events:source condition)."
  type        = string
  default     = "smartpay.service"

  validation {
    condition     = can(regex("^smartpay\\.[a-z][a-z0-9-]*$", var.event_source))
    error_message = "event_source must be smartpay.<service>."
  }
}

variable "event_detail_types" {
  description = "The only detail-types (event types) the function may put (events:detail-type condition): the manifest's `emits`. Empty: no PutEvents permission at all."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for t in var.event_detail_types : can(regex("^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$", t))])
    error_message = "Event types look like <noun>.<past_tense>, e.g. payment.captured."
  }
}

variable "sqs_queue_arns" {
  description = "Queues the function consumes (receive/delete granted on these only)."
  type        = list(string)
  default     = []
}

variable "enable_event_source_mapping" {
  description = "Create the SQS event source mapping(s). Off for moto, whose mappings swallow messages without running code."
  type        = bool
  default     = true
}

variable "batch_size" {
  description = "Records per invocation. The mapping reports batch item failures, so a failed record alone is retried (and redriven to the DLQ)."
  type        = number
  default     = 1

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be within 1-10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "How long the mapping gathers records before invoking."
  type        = number
  default     = 0

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be within 0-300."
  }
}

variable "policy_statements" {
  description = "Extra Allow statements (the caller's own tables, buckets, domains)."
  type = list(object({
    sid       = optional(string)
    actions   = list(string)
    resources = list(string)
  }))
  default = []
}

variable "subnet_ids" {
  description = "Subnets to attach the function to (needed to reach ElastiCache); empty: no VPC."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the function when subnet_ids is set."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the log group and the environment variables; the role may Decrypt/GenerateDataKey with it (its queues, tables, buckets and secrets use it too). null: AWS managed keys, no KMS statement."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}

variable "immutable_release" {
  description = "Refuse (at plan) a zip other than the one first released under alias_name: one version is one artifact. false on the local target, where edited code is re-applied under the same version."
  type        = bool
  default     = true
}

variable "schedule_expression" {
  description = "EventBridge schedule (rate(1 minute), cron(...)) invoking the alias; empty: no schedule."
  type        = string
  default     = ""

  validation {
    condition     = var.schedule_expression == "" || can(regex("^(rate|cron)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be empty, rate(...) or cron(...)."
  }
}
