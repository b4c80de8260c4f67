# A private, encrypted, optionally versioned bucket that refuses plain HTTP. Inline versioning,
# encryption and lifecycle blocks: provider 3.39 has none of the aws_s3_bucket_* split resources;
# 5.x still accepts the inline blocks (deprecated, with a warning).

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logging needs a second log bucket per bucket; the two buckets are written only by their own service role, and CloudTrail data events are the audit trail on AWS.
  #checkov:skip=CKV_AWS_144:Cross-region replication: the contents (models, bandit checkpoints) are re-derivable from training and the event archive; the stack is single-region.
  #checkov:skip=CKV2_AWS_62:Event notifications: nothing consumes object events; promotions and checkpoints are announced on the event bus by the services.
  bucket        = var.name
  force_destroy = var.force_destroy
  tags          = var.tags

  versioning {
    enabled = var.versioning
  }

  # aws:kms with the platform key; a null key means the AWS managed key alias/aws/s3.
  server_side_encryption_configuration {
    rule {
      apply_server_side_encryption_by_default {
        sse_algorithm     = "aws:kms"
        kms_master_key_id = var.kms_key_arn
      }
    }
  }

  # Old versions stay restorable for a while (rollback), then go; stale multipart uploads go too.
  lifecycle_rule {
    id                                     = "expire-noncurrent-versions"
    enabled                                = true
    abort_incomplete_multipart_upload_days = 7

    noncurrent_version_expiration {
      days = var.noncurrent_version_expiration_days
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "this" {
  count  = var.require_tls ? 1 : 0
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # S3 rejects a policy while the public access block is being applied.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
