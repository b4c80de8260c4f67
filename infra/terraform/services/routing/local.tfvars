# Local target: moto server (the orchestrator overrides aws_endpoint_url and lambda_zip_path).
target                      = "local"
aws_endpoint_url            = "http://127.0.0.1:4566"
lambda_runtime              = "python3.8" # provider 3.39's runtime check stops at python3.8
visibility_timeout_seconds  = 5
max_receive_count           = 3
enable_event_source_mapping = false # moto's mappings consume messages without running code
point_in_time_recovery      = false
log_retention_in_days       = 1
force_destroy_buckets       = true
lambda_timeout              = 5
catalog_file                = "catalog.local.yaml" # the methods the local connectors can really charge
