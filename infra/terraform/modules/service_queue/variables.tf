variable "name" {
  description = "Name of the queue (the DLQ is \"<name>-dlq\" unless dlq_name is set)."
  type        = string
  default     = "smartpay-service"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,76}$", var.name))
    error_message = "Queue names are 1-76 characters of [A-Za-z0-9_-] (room for the -dlq suffix)."
  }
}

variable "dlq_name" {
  description = "Name of the dead-letter queue; empty means \"<name>-dlq\"."
  type        = string
  default     = ""
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays invisible; keep it above the consumer's timeout (AWS advises 6x)."
  type        = number
  default     = 180

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "visibility_timeout_seconds must be within 0-43200."
  }
}

variable "max_receive_count" {
  description = "Receives before a message moves to the DLQ."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be within 1-1000."
  }
}

variable "message_retention_seconds" {
  description = "How long the queue keeps a message."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be within 60-1209600."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the DLQ keeps a message (the maximum, so nothing expires before a redrive)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be within 60-1209600."
  }
}

variable "receive_wait_time_seconds" {
  description = "Default long-poll wait of ReceiveMessage."
  type        = number
  default     = 20

  validation {
    condition     = var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20
    error_message = "receive_wait_time_seconds must be within 0-20."
  }
}

variable "ignore_redrive_policy_changes" {
  description = "For moto only: ignore the redrive policy after creation (moto re-serialises it; see main.tf)."
  type        = bool
  default     = false
}

variable "bus_name" {
  description = "Event bus the rules listen on."
  type        = string
  default     = "smartpay-bus"
}

variable "rules" {
  description = "EventBridge rules that deliver to this queue, keyed by a stable key (e.g. the event type)."
  type = map(object({
    name          = string
    description   = optional(string, "")
    event_pattern = string
  }))
  default = {}

  validation {
    condition     = alltrue([for rule in values(var.rules) : can(regex("^[A-Za-z0-9._-]{1,64}$", rule.name))])
    error_message = "Rule names are 1-64 characters of [A-Za-z0-9._-]."
  }
}

variable "kms_key_arn" {
  description = "KMS key for SSE of both queues. Use a customer managed key whose policy lets events.amazonaws.com in (module kms_key): EventBridge cannot deliver to a queue under the AWS managed alias/aws/sqs."
  type        = string
  default     = "alias/aws/sqs"
  nullable    = false

  validation {
    condition     = var.kms_key_arn != ""
    error_message = "Queues are always encrypted: give a key ARN, ID or alias."
  }
}

variable "kms_data_key_reuse_period_seconds" {
  description = "How long SQS reuses a data key before asking KMS again (60-86400)."
  type        = number
  default     = 300
}

variable "alarm_topic_arn" {
  description = "SNS topic the DLQ depth alarm notifies (alarm and OK); empty: the alarm has no action."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
