variable "service_dir" {
  description = "Directory holding the service's manifest.json and VERSION."
  type        = string
  default     = "."
}

variable "manifests_dir" {
  description = "Directory whose */manifest.json describe every service on the bus: each event type's producers come from their `emits`. Empty: the parent of service_dir (services/)."
  type        = string
  default     = ""
}

variable "name_prefix" {
  description = "Prefix of every resource name (the naming contract of docs/terraform.md)."
  type        = string
  default     = "smartpay"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 characters: lowercase letters, digits, hyphens, starting with a letter."
  }
}

variable "bus_name" {
  description = "Name of the platform event bus."
  type        = string
  default     = "smartpay-bus"
}

variable "bus_arn" {
  description = "ARN of the platform event bus (the Lambdas may PutEvents there as smartpay.<service>)."
  type        = string
  default     = ""
}

variable "api_id" {
  description = "ID of the platform HTTP API; empty skips the routes."
  type        = string
  default     = ""
}

variable "api_execution_arn" {
  description = "Execution ARN of the platform HTTP API."
  type        = string
  default     = ""
}

variable "authorizer_id" {
  description = "ID of the platform JWT authorizer."
  type        = string
  default     = ""
}

variable "lambda_zip_path" {
  description = "Deployment zip of the service (service package + smartpay_shared)."
  type        = string
  default     = "lambda.zip"
}

variable "package_type" {
  description = "Zip or Image; null: the manifest's lambda_package.package_type (Zip without one). The local target deploys Zip (docs/terraform.md, \"What is off locally\")."
  type        = string
  default     = null

  validation {
    condition     = var.package_type == null || contains(["Zip", "Image"], coalesce(var.package_type, "Zip"))
    error_message = "package_type must be Zip, Image or null (the manifest's)."
  }
}

variable "image_tag" {
  description = "Image only: the tag of the service's image in its ECR repository; empty: the sha256 (hex) of lambda_zip_path, the `make package` zip holding exactly the image's /var/task."
  type        = string
  default     = ""

  validation {
    condition     = var.image_tag == "" || can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a Docker tag ([A-Za-z0-9_.-], at most 128 characters)."
  }
}

variable "untagged_image_expiry_days" {
  description = "Image only: days after which the lifecycle policy expires an untagged image. Tagged images (each a release's zip sha256) never expire by policy: a live alias may run any of them (image.tf)."
  type        = number
  default     = 1

  validation {
    condition     = var.untagged_image_expiry_days >= 1
    error_message = "untagged_image_expiry_days must be at least 1."
  }
}

variable "artifact_bucket" {
  description = "The platform's artifact bucket (platform output artifact_bucket): the zip is stored there under <service>/<sha256 of the zip>.zip and every function deploys from that key. Empty: each function uploads the zip directly."
  type        = string
  default     = ""
}

variable "lambda_runtime" {
  description = "Lambda runtime of every function: python3.11 locally and on AWS."
  type        = string
  default     = "python3.11"
}

variable "lambda_layers" {
  description = "Layer ARNs carrying the third-party dependencies."
  type        = list(string)
  default     = []
}

variable "lambda_memory_size" {
  description = "Memory of each function, MB."
  type        = number
  default     = 512
}

variable "lambda_timeout" {
  description = "Timeout of each function, seconds."
  type        = number
  default     = 30
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout of the service queue (above the worker timeout in AWS)."
  type        = number
  default     = 180
}

variable "max_receive_count" {
  description = "Receives before a message goes to the DLQ."
  type        = number
  default     = 5
}

variable "ignore_redrive_policy_changes" {
  description = "true for moto only (see module service_queue)."
  type        = bool
  default     = false
}

variable "enable_event_source_mapping" {
  description = "Connect the worker Lambda to the queue (off for moto: the local worker process polls instead)."
  type        = bool
  default     = true
}

variable "batch_size" {
  description = "Records per worker invocation: null takes the manifest's `batch_size` (1 if absent)."
  type        = number
  default     = null

  validation {
    condition     = var.batch_size == null ? true : (var.batch_size >= 1 && var.batch_size <= 10)
    error_message = "batch_size must be null or 1..10 (the SQS receive limit)."
  }
}

variable "api_reserved_concurrency" {
  description = "Reserved concurrency of the API function: null takes the manifest's `api_max_concurrency` (the local gateway runs as many environments of the handler); -1 leaves it unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.api_reserved_concurrency == null ? true : (var.api_reserved_concurrency == -1 || var.api_reserved_concurrency >= 1)
    error_message = "api_reserved_concurrency must be null, -1 or at least 1."
  }
}

variable "worker_reserved_concurrency" {
  description = "Reserved concurrency of the worker: null takes the manifest's `max_concurrency` (the cap the local worker honours too); -1 leaves the worker unreserved (an account whose concurrency quota cannot spare the reservation). AWS advises at least 5 for an SQS-triggered function."
  type        = number
  default     = null

  validation {
    condition     = var.worker_reserved_concurrency == null ? true : (var.worker_reserved_concurrency == -1 || var.worker_reserved_concurrency >= 1)
    error_message = "worker_reserved_concurrency must be null, -1 or at least 1."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the Lambda log groups."
  type        = number
  default     = 365
}

variable "environment_variables" {
  description = "Extra environment of both Lambdas (the root's service settings: its tables, buckets, endpoints)."
  type        = map(string)
  default     = {}
}

variable "api_environment_variables" {
  description = "Extra environment of the API Lambda only (the API settings: body limit, per-merchant rate limit)."
  type        = map(string)
  default     = {}
}

variable "policy_statements" {
  description = "Extra Allow statements (the root's own tables, buckets, secrets), each granted only to the functions it names by kind: worker, api, or a scheduled function's name."
  type = list(object({
    sid       = optional(string)
    actions   = list(string)
    resources = list(string)
    functions = list(string)
  }))
  default = []
}

variable "immutable_releases" {
  description = "Every function refuses, at plan, a zip other than the one first released under its alias (one version is one artifact). false on the local target, where edited code is re-applied under the same version."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Platform KMS key: queues, tables, log groups and Lambda environments are encrypted with it; null: AWS managed keys."
  type        = string
  default     = null
}

variable "alarm_topic_arn" {
  description = "SNS topic of the DLQ depth alarm; empty: the alarm has no action."
  type        = string
  default     = ""
}

variable "subnet_ids" {
  description = "Subnets for the Lambdas (to reach ElastiCache); empty: no VPC."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups for the Lambdas when subnet_ids is set."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
