# A single-node Redis in two subnets.

module "cache" {
  source = "../.."

  name               = "example-cache"
  subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
  security_group_ids = ["sg-0123456789abcdef0"]
}

output "address" {
  description = "Address of the Redis node."
  value       = module.cache.address
}
