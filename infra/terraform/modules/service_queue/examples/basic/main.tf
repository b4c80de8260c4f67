# A queue fed by one rule on a bus.

module "kms_key" {
  source = "../../../kms_key"

  name                    = "example-data"
  deletion_window_in_days = 7
}

module "event_bus" {
  source = "../../../event_bus"

  name           = "example-bus"
  create_archive = false
}

module "queue" {
  source = "../.."

  name                       = "example-service"
  bus_name                   = module.event_bus.bus_name
  visibility_timeout_seconds = 60
  max_receive_count          = 3
  kms_key_arn                = module.kms_key.key_arn
  rules = {
    "order.placed" = {
      name          = "example-service-order-placed"
      event_pattern = jsonencode({ source = [{ prefix = "example." }], "detail-type" = ["order.placed"] })
    }
  }
}

output "queue_url" {
  description = "URL of the queue."
  value       = module.queue.queue_url
}
