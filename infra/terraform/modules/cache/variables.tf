variable "create" {
  description = "Whether to create the cache (false locally: the local Redis plays it)."
  type        = bool
  default     = true
}

variable "name" {
  description = "Cluster ID (and subnet group name)."
  type        = string
  default     = "smartpay-cache"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.name)) && !can(regex("--|-$", var.name))
    error_message = "Cluster IDs are 1-40 lowercase letters, digits and single hyphens, starting with a letter."
  }
}

variable "node_type" {
  description = "Node type."
  type        = string
  default     = "cache.t4g.micro"
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"
}

variable "parameter_group_name" {
  description = "Parameter group matching the engine version."
  type        = string
  default     = "default.redis7"
}

variable "subnet_ids" {
  description = "Subnets of the cache (the Lambdas must be attached to the same VPC); empty: default VPC."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "Security groups of the cache."
  type        = list(string)
  default     = []
}

variable "snapshot_retention_limit" {
  description = "Days of daily snapshots; 0 disables them (the data is re-derivable)."
  type        = number
  default     = 0

  validation {
    condition     = var.snapshot_retention_limit >= 0 && var.snapshot_retention_limit <= 35
    error_message = "snapshot_retention_limit must be within 0-35."
  }
}

variable "tags" {
  description = "Tags for the cluster."
  type        = map(string)
  default     = {}
}
