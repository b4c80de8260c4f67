# Local target: moto server (the orchestrator overrides aws_endpoint_url with its own port).
target                      = "local"
aws_endpoint_url            = "http://127.0.0.1:4566"
archive_retention_days      = 1
enable_cache                = false
kms_deletion_window_in_days = 7
log_retention_in_days       = 1
# The functions' environment: the machine's Redis (a local stack passes its own) and no rate limit in the
# API functions, because the local gateway applies the same per-merchant limit in front of them.
redis_url                 = "redis://127.0.0.1:6379/0"
api_rate_limit_per_second = 0
