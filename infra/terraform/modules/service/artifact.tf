# One version is one artifact (docs/terraform.md, "Releases and rollback"): the service's zip is stored in the
# platform's artifact bucket under a key named after its sha256, and every function of the service deploys
# from that key. Other code is another key; the same code (a rollback rebuilds the same zip) is the same key.
# The object a release replaces is deleted (with all its versions: what the provider does) after the new one
# exists; a rollback rebuilds the same zip and uploads it to the same key. Without an artifact bucket each
# function uploads the zip itself.

locals {
  zip_sha256 = fileexists(var.lambda_zip_path) ? filesha256(var.lambda_zip_path) : ""
  # An Image (image.tf) has no zip in the bucket: its code is the image in ECR.
  artifact = var.artifact_bucket == "" || local.is_image ? { bucket = null, key = null } : {
    bucket = var.artifact_bucket
    key    = aws_s3_object.artifact[0].key
  }
}

resource "aws_s3_object" "artifact" {
  count = var.artifact_bucket == "" || local.is_image ? 0 : 1

  bucket       = var.artifact_bucket
  key          = "${local.service}/${local.zip_sha256}.zip"
  source       = var.lambda_zip_path
  content_type = "application/zip"
  tags         = local.tags

  lifecycle {
    create_before_destroy = true
  }
}
