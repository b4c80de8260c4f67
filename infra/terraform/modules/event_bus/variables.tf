variable "name" {
  description = "Name of the event bus."
  type        = string
  default     = "smartpay-bus"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,256}$", var.name)) && var.name != "default"
    error_message = "The bus name must be 1-256 characters of [A-Za-z0-9._-] and not \"default\"."
  }
}

variable "create_archive" {
  description = "Whether to archive every event of the bus (needed for replays)."
  type        = bool
  default     = true
}

variable "archive_name" {
  description = "Name of the archive; empty means \"<name>-archive\"."
  type        = string
  default     = ""

  validation {
    condition     = var.archive_name == "" || can(regex("^[A-Za-z0-9._-]{1,48}$", var.archive_name))
    error_message = "Archive names are at most 48 characters of [A-Za-z0-9._-]."
  }
}

variable "archive_retention_days" {
  description = "Days the archive keeps events; 0 keeps them forever."
  type        = number
  default     = 7

  validation {
    condition     = var.archive_retention_days >= 0 && floor(var.archive_retention_days) == var.archive_retention_days
    error_message = "archive_retention_days must be a whole number >= 0."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
