# One Lambda function of a service: published version, alias named after the service version,
# log group, optional SQS event source mapping (and an optional schedule: schedule.tf).
#
# Releases (docs/terraform.md, "Releases and rollback"): one alias per service version; a VERSION bump
# creates the new alias (and whatever invokes it moves to it) before the old one is removed; the alias
# description carries the code's sha256, and with `immutable_release` an alias that was released with one
# zip refuses another one at plan (release.tf).

locals {
  is_image = var.package_type == "Image"
  # Lambda's own CodeSha256 form (base64 of the zip's sha256): compare with get-function --qualifier <alias>.
  # An Image has no zip: its code is the image_uri (an immutable tag or a digest in ECR), recorded instead.
  code_sha256 = local.is_image ? "" : (fileexists(var.filename) ? filebase64sha256(var.filename) : "")
  code_id     = local.is_image ? var.image_uri : local.code_sha256
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:A Lambda DLQ catches failed asynchronous invocations only; the worker is invoked synchronously by its SQS mapping (failures redrive to the service queue's DLQ, which is alarmed) and the API function synchronously by API Gateway.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile and signed artefacts in S3; the zip is built reproducibly from the repository by the deploy itself (source_code_hash pins it), there is no separate artefact channel to protect.
  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this.arn
  package_type  = var.package_type
  # An Image carries its runtime and its handler (the image's CMD, or image_config.command): no handler,
  # runtime or layers for it.
  handler = local.is_image ? null : var.handler
  runtime = local.is_image ? null : var.runtime
  # Zip: the zip from the artifact bucket (s3_bucket/s3_key: a key named after its sha256) or, without one,
  # uploaded directly; source_code_hash is the local zip's either way, so other code is a change Terraform sees.
  # Image: the image in ECR (image_uri, an immutable tag), another image being another URI.
  filename                       = local.is_image || var.s3_bucket != null ? null : var.filename
  s3_bucket                      = local.is_image ? null : var.s3_bucket
  s3_key                         = local.is_image ? null : var.s3_key
  source_code_hash               = local.code_sha256 == "" ? null : local.code_sha256
  image_uri                      = local.is_image ? var.image_uri : null
  publish                        = true
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  layers                         = local.is_image ? null : var.layers
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = var.environment_variables
  }

  # The image's default command is the worker's handler (the Dockerfile's CMD); every other function of the
  # image names its own.
  dynamic "image_config" {
    for_each = local.is_image && length(var.image_command) > 0 ? [1] : []
    content {
      command = var.image_command
    }
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = length(var.subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  lifecycle {
    precondition {
      condition     = local.is_image || fileexists(var.filename)
      error_message = "Lambda zip ${var.filename} does not exist: build it first (make package, or python -m smartpay_shared.local.terraform zip for the emulator)."
    }
    precondition {
      condition     = !local.is_image || var.image_uri != ""
      error_message = "${var.function_name} is an Image: it needs image_uri, the image pushed to its ECR repository first (docs/terraform.md, \"Pushing the images\")."
    }
    precondition {
      condition     = local.released_code_id == local.code_id
      error_message = "${var.function_name}: alias ${var.alias_name} was released with ${local.is_image ? "image" : "code sha256"} ${local.released_code_id}; this ${local.is_image ? "image" : "zip"} is ${local.code_id}. One version is one artifact: bump the service's VERSION (docs/terraform.md, \"Releases and rollback\")."
    }
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

# A new alias name (a VERSION bump) is created, and the event source mapping, API integration and schedule
# target move to it, before the old alias is deleted: there is always an alias to invoke.
resource "aws_lambda_alias" "this" {
  name             = var.alias_name
  description      = local.is_image ? "${var.alias_name} image ${var.image_uri}" : "${var.alias_name} code sha256 ${local.code_sha256}"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  lifecycle {
    create_before_destroy = true
  }
}

# The worker answers with Powertools' partial batch response (batchItemFailures): ReportBatchItemFailures
# makes Lambda retry only the failed records, which follow the queue's redrive policy to the DLQ.
resource "aws_lambda_event_source_mapping" "this" {
  count = var.enable_event_source_mapping ? length(var.sqs_queue_arns) : 0

  event_source_arn                   = var.sqs_queue_arns[count.index]
  function_name                      = aws_lambda_alias.this.arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]
  enabled                            = true
}
