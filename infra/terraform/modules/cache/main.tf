# ElastiCache Redis for hot data (velocity features, gateway health). Off locally, where the machine's
# Redis on 127.0.0.1:6379 plays this role. A single-node cluster: aws_elasticache_replication_group
# renamed its arguments between provider 3.x and 5.x, aws_elasticache_cluster did not.

resource "aws_elasticache_subnet_group" "this" {
  count = var.create && length(var.subnet_ids) > 0 ? 1 : 0

  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_elasticache_cluster" "this" {
  count = var.create ? 1 : 0
  #checkov:skip=CKV_AWS_134:The cache holds only re-derivable, TTL-bound data (velocity counters, gateway health, rate-limit buckets); restoring a snapshot would bring back stale counters. snapshot_retention_limit turns backups on.

  cluster_id               = var.name
  engine                   = "redis"
  engine_version           = var.engine_version
  node_type                = var.node_type
  num_cache_nodes          = 1
  port                     = 6379
  parameter_group_name     = var.parameter_group_name
  subnet_group_name        = try(aws_elasticache_subnet_group.this[0].name, null)
  security_group_ids       = var.security_group_ids
  snapshot_retention_limit = var.snapshot_retention_limit
  tags                     = var.tags
}
