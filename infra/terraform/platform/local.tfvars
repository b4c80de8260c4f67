# Local target: an emulator. Its address is not here: aws_endpoint_url comes from the caller
# (TF_VAR_aws_endpoint_url by hand, the orchestrator's run.tfvars.json), so no apply reaches another
# checkout's emulator on a fixed port (docs/terraform.md, "By hand").
target                      = "local"
archive_retention_days      = 1
enable_cache                = false
kms_deletion_window_in_days = 7
log_retention_in_days       = 1
# The functions' environment: the machine's Redis (a local stack passes its own) and no rate limit in the
# API functions, because the local gateway applies the same per-merchant limit in front of them.
redis_url                 = "redis://127.0.0.1:6379/0"
api_rate_limit_per_second = 0
force_destroy_buckets     = true
bucket_lifecycle          = false # nothing on the emulator outlives it; saves the provider's ~55 s wait per bucket
