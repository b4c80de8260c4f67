variable "name" {
  description = "Name of the table."
  type        = string
  default     = "smartpay-table"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "Table names are 3-255 characters of [A-Za-z0-9_.-]."
  }
}

variable "hash_key" {
  description = "Partition key attribute."
  type        = string
  default     = "pk"
}

variable "hash_key_type" {
  description = "Type of the partition key: S, N or B."
  type        = string
  default     = "S"

  validation {
    condition     = contains(["S", "N", "B"], var.hash_key_type)
    error_message = "hash_key_type must be S, N or B."
  }
}

variable "range_key" {
  description = "Sort key attribute; empty for none."
  type        = string
  default     = ""
}

variable "range_key_type" {
  description = "Type of the sort key: S, N or B."
  type        = string
  default     = "S"

  validation {
    condition     = contains(["S", "N", "B"], var.range_key_type)
    error_message = "range_key_type must be S, N or B."
  }
}

variable "ttl_attribute" {
  description = "Attribute holding the expiry (epoch seconds); empty disables TTL."
  type        = string
  default     = ""
}

variable "stream_enabled" {
  description = "Whether to enable a DynamoDB stream."
  type        = bool
  default     = false
}

variable "stream_view_type" {
  description = "What the stream carries when enabled."
  type        = string
  default     = "NEW_AND_OLD_IMAGES"

  validation {
    condition     = contains(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"], var.stream_view_type)
    error_message = "stream_view_type must be KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES."
  }
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes (on-demand, so no capacities)."
  type = list(object({
    name            = string
    hash_key        = string
    hash_key_type   = optional(string, "S")
    range_key       = optional(string)
    range_key_type  = optional(string, "S")
    projection_type = optional(string, "ALL")
  }))
  default = []
}

variable "local_secondary_indexes" {
  description = "Local secondary indexes: the table's partition key with another sort key (strongly consistent reads); declared at creation only."
  type = list(object({
    name            = string
    range_key       = string
    range_key_type  = optional(string, "S")
    projection_type = optional(string, "ALL")
  }))
  default = []

  validation {
    condition     = length(var.local_secondary_indexes) == 0 || var.range_key != ""
    error_message = "A local secondary index needs a table with a sort key."
  }
}

variable "point_in_time_recovery" {
  description = "Whether point-in-time recovery is on."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer managed KMS key of the table; null: the AWS managed key (alias/aws/dynamodb)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
}

variable "deletion_protection" {
  description = "Protect the table from deletion: Terraform refuses any plan that destroys or replaces it, and refuses turning this off again until the guard record is removed from the state (deletion_guard.tf, docs/terraform.md)."
  type        = bool
  default     = false
}
