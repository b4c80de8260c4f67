# A private, encrypted, optionally versioned bucket that refuses plain HTTP. Versioning, encryption and
# lifecycle are the provider's separate resources (hashicorp/aws >= 4; the inline blocks are deprecated).

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logging needs a second log bucket per bucket; the two buckets are written only by their own service role, and CloudTrail data events are the audit trail on AWS.
  #checkov:skip=CKV_AWS_144:Cross-region replication: the contents (models, bandit checkpoints) are re-derivable from training and the event archive; the stack is single-region.
  #checkov:skip=CKV2_AWS_62:Event notifications: nothing consumes object events; promotions and checkpoints are announced on the event bus by the services.
  bucket        = var.name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    # "Disabled" is valid only for a bucket never versioned, which is what this one is when false.
    status = var.versioning ? "Enabled" : "Disabled"
  }
}

# aws:kms with the platform key; a null key means the AWS managed key alias/aws/s3.
resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

# Old versions stay restorable for a while (rollback), then go; stale multipart uploads go too. Optional
# (`lifecycle_rules`): after PutBucketLifecycleConfiguration hashicorp/aws 5.x waits for a run of consistent
# reads, ~55 s per bucket, which buys nothing on an emulator whose data ends with the process.
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count  = var.lifecycle_rules ? 1 : 0
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {} # every object

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  # A lifecycle configuration on a bucket whose versioning is changing is refused by S3.
  depends_on = [aws_s3_bucket_versioning.this]
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
