variable "name" {
  description = "Name of the HTTP API."
  type        = string
  default     = "smartpay-api"
}

variable "description" {
  description = "Description of the API."
  type        = string
  default     = "SmartPay public API"
}

variable "jwt_issuer" {
  description = "Issuer the authorizer accepts: https://cognito-idp.<region>.amazonaws.com/<pool id>."
  type        = string
  default     = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example"

  validation {
    condition     = can(regex("^https://", var.jwt_issuer))
    error_message = "jwt_issuer must be an https URL."
  }
}

variable "jwt_audience" {
  description = "Accepted audiences: the app client IDs."
  type        = list(string)
  default     = ["example-client-id"]

  validation {
    condition     = length(var.jwt_audience) > 0
    error_message = "At least one audience (app client ID) is needed."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second each route accepts (all callers together)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  description = "Requests each route accepts in a burst above the steady rate (token bucket size)."
  type        = number
  default     = 200

  validation {
    condition     = var.throttling_burst_limit > 0
    error_message = "throttling_burst_limit must be positive."
  }
}

variable "route_throttling" {
  description = "Per-route overrides keyed by route key (\"POST /pay\"): rate_limit per second, burst_limit. The routes must exist (applied by the service roots)."
  type = map(object({
    rate_limit  = number
    burst_limit = number
  }))
  default = {}
}

variable "detailed_metrics_enabled" {
  description = "Per-route CloudWatch metrics (count, latency, 4xx/5xx per route)."
  type        = bool
  default     = true
}

variable "log_retention_in_days" {
  description = "Retention of the access log group (a year: PCI DSS 10.5.1)."
  type        = number
  default     = 365
}

variable "kms_key_arn" {
  description = "KMS key of the access log group; null: CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
