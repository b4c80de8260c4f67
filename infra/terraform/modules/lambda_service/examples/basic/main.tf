# A function consuming a queue and publishing to a bus as example.orders.

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
  source = "../../../service_queue"

  name        = "example-orders"
  kms_key_arn = module.kms_key.key_arn
}

module "function" {
  source = "../.."

  function_name  = "example-orders-worker"
  handler        = "example_orders.entrypoints.queue_consumer.lambda_handler"
  filename       = "${path.module}/lambda.zip"
  alias_name     = "v1_0_0"
  event_bus_arn  = module.event_bus.bus_arn
  event_source   = "smartpay.orders"
  sqs_queue_arns = [module.queue.queue_arn]

  event_detail_types = ["order.shipped"]
  kms_key_arn        = module.kms_key.key_arn
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = module.function.alias_arn
}
