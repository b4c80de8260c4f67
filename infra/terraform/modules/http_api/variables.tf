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

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
