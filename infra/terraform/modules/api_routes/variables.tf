variable "api_id" {
  description = "ID of the platform HTTP API."
  type        = string
  default     = ""
}

variable "api_execution_arn" {
  description = "Execution ARN of the platform HTTP API."
  type        = string
  default     = ""
}

variable "authorizer_id" {
  description = "ID of the platform's JWT authorizer."
  type        = string
  default     = ""
}

variable "routes" {
  description = "Routes of the service (its manifest's `routes`)."
  type = list(object({
    method = string
    path   = string
  }))
  default = []

  validation {
    condition     = alltrue([for route in var.routes : contains(["GET", "POST", "PUT", "PATCH", "DELETE"], route.method) && can(regex("^/", route.path))])
    error_message = "Each route needs a method among GET/POST/PUT/PATCH/DELETE and a path starting with /."
  }
}

variable "function_name" {
  description = "Name of the API Lambda."
  type        = string
  default     = ""
}

variable "function_qualifier" {
  description = "Alias of the API Lambda that the integration invokes."
  type        = string
  default     = ""
}

variable "lambda_invoke_arn" {
  description = "Invoke ARN of that alias."
  type        = string
  default     = ""
}

variable "payload_format_version" {
  description = "1.0 gives handlers the REST-style proxy event (Powertools APIGatewayRestResolver; claims under requestContext.authorizer.claims)."
  type        = string
  default     = "1.0"

  validation {
    condition     = contains(["1.0", "2.0"], var.payload_format_version)
    error_message = "payload_format_version must be 1.0 or 2.0."
  }
}

variable "timeout_milliseconds" {
  description = "Integration timeout."
  type        = number
  default     = 29000

  validation {
    condition     = var.timeout_milliseconds >= 50 && var.timeout_milliseconds <= 30000
    error_message = "timeout_milliseconds must be within 50-30000."
  }
}
