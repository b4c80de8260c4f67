variable "name" {
  description = "Alias of the key, without the alias/ prefix."
  type        = string
  default     = "smartpay-data"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,250}$", var.name)) && !startswith(var.name, "aws/")
    error_message = "The alias is 1-250 characters of [A-Za-z0-9/_-] and must not start with aws/."
  }
}

variable "description" {
  description = "Description of the key."
  type        = string
  default     = "SmartPay data at rest: queues, tables, buckets, logs, Lambda environments, secrets"
}

variable "deletion_window_in_days" {
  description = "Waiting period before a scheduled deletion takes effect (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be within 7-30."
  }
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}
