output "address" {
  description = "Address of the Redis node (empty when not created)."
  value       = try(aws_elasticache_cluster.this[0].cache_nodes[0].address, "")
}

output "port" {
  description = "Port of the Redis node."
  value       = 6379
}

output "cluster_id" {
  description = "Cluster ID (empty when not created)."
  value       = try(aws_elasticache_cluster.this[0].cluster_id, "")
}
