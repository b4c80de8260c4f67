# Local target: an emulator. Its address is not here: aws_endpoint_url comes from the caller
# (TF_VAR_aws_endpoint_url by hand, the orchestrator's run.tfvars.json), so no apply reaches another
# checkout's emulator on a fixed port (docs/terraform.md, "By hand").
target                      = "local"
visibility_timeout_seconds  = 5
max_receive_count           = 3
enable_event_source_mapping = false # moto's mappings consume messages without running code
point_in_time_recovery      = false
log_retention_in_days       = 1
enable_search_domain        = false # no Elasticsearch/OpenSearch can run offline
lambda_timeout              = 5
immutable_releases          = false # edited code is re-applied under the same VERSION (a developer's `make up`)
# The code-only zip (smartpay_shared.local.terraform zip), not the `make package` one: moto never runs it, and
# every stack start would otherwise need `make package` first (docs/terraform.md, "What is off locally").
lambda_zip_path = "../../../../.local/build/lambda/chat.zip"
package_type    = "Zip" # the manifest says Image: moto would deploy an image nobody runs; see the same section
