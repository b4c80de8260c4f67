variable "name" {
  description = "Name of the user pool."
  type        = string
  default     = "smartpay-users"

  validation {
    condition     = length(var.name) >= 1 && length(var.name) <= 128
    error_message = "User pool names are 1-128 characters."
  }
}

variable "client_name" {
  description = "Name of the app client."
  type        = string
  default     = "smartpay-app"
}

variable "merchant_attribute_name" {
  description = "Custom schema attribute holding the caller's merchant (tokens carry it as custom:<name>)."
  type        = string
  default     = "merchant_id"

  validation {
    condition     = can(regex("^[A-Za-z0-9_]{1,20}$", var.merchant_attribute_name))
    error_message = "Custom attribute names are 1-20 characters of [A-Za-z0-9_]."
  }
}

variable "groups" {
  description = "Groups to create, name => description."
  type        = map(string)
  default = {
    admin = "Operators: replay, redrive, reindex, model promotion."
  }
}

variable "password_minimum_length" {
  description = "Minimum password length."
  type        = number
  default     = 12

  validation {
    condition     = var.password_minimum_length >= 8 && var.password_minimum_length <= 99
    error_message = "password_minimum_length must be within 8-99."
  }
}

variable "tags" {
  description = "Tags for the user pool."
  type        = map(string)
  default     = {}
}

variable "mfa_configuration" {
  description = "MFA of the pool: OPTIONAL (users may enrol a TOTP app) or ON (everyone must). null: hardening.json (OPTIONAL)."
  type        = string
  default     = null

  validation {
    condition     = var.mfa_configuration == null || contains(["OPTIONAL", "ON"], coalesce(var.mfa_configuration, "OPTIONAL"))
    error_message = "mfa_configuration must be OPTIONAL or ON (TOTP; OFF would drop the software token)."
  }
}
