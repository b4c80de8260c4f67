# The payments search index domain. aws_elasticsearch_domain because provider 3.39 has no
# aws_opensearch_domain; the engine is still selectable ("OpenSearch_1.0" style versions need a newer
# provider). Off locally, where the chat service uses its embedded engine. Encrypted at rest with the
# platform key, TLS 1.2 between clients and nodes and between nodes, IAM-only access policy.

resource "aws_cloudwatch_log_group" "this" {
  count = var.create ? 1 : 0

  name              = "/aws/es/${var.domain_name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# The domain writes its logs through this resource policy (CloudWatch Logs side).
resource "aws_cloudwatch_log_resource_policy" "this" {
  count = var.create ? 1 : 0

  policy_name = "${var.domain_name}-es-logs"
  policy_document = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "es.amazonaws.com" }
      Action    = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource  = "${aws_cloudwatch_log_group.this[0].arn}:*"
    }]
  })
}

resource "aws_elasticsearch_domain" "this" {
  count = var.create ? 1 : 0
  #checkov:skip=CKV2_AWS_52:Fine-grained access control needs a master user and internal users or SAML; access is IAM-only (the domain policy names the chat roles only) and merchant isolation is enforced in every query, bound from the verified token (docs/security.md).
  #checkov:skip=CKV_AWS_317:Audit logs require fine-grained access control (see CKV2_AWS_52); application and slow-search logs are published.
  #checkov:skip=CKV2_AWS_59:Dedicated masters are sized per deployment (dedicated_master_count, 3 for production); the index is a projection of the payments table, rebuilt by `smartpay chat reindex`.
  #checkov:skip=CKV_AWS_318:See CKV2_AWS_59: dedicated_master_count = 3 turns them on.
  #checkov:skip=CKV_AWS_137:VPC placement is optional (subnet_ids); without it the endpoint takes HTTPS (TLS 1.2) only and the access policy admits only the chat roles' signed requests.
  #checkov:skip=CKV_AWS_248:Security groups exist only with VPC placement (subnet_ids + security_group_ids), see CKV_AWS_137.

  domain_name           = var.domain_name
  elasticsearch_version = var.engine_version
  tags                  = var.tags

  cluster_config {
    instance_type            = var.instance_type
    instance_count           = var.instance_count
    dedicated_master_enabled = var.dedicated_master_count > 0
    dedicated_master_count   = var.dedicated_master_count > 0 ? var.dedicated_master_count : null
    dedicated_master_type    = var.dedicated_master_count > 0 ? var.dedicated_master_type : null
  }

  ebs_options {
    ebs_enabled = true
    volume_size = var.volume_size
    volume_type = "gp2"
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = var.kms_key_arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }

  dynamic "vpc_options" {
    for_each = length(var.subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  log_publishing_options {
    log_type                 = "ES_APPLICATION_LOGS"
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this[0].arn
  }

  log_publishing_options {
    log_type                 = "SEARCH_SLOW_LOGS"
    cloudwatch_log_group_arn = aws_cloudwatch_log_group.this[0].arn
  }

  depends_on = [aws_cloudwatch_log_resource_policy.this]
}

resource "aws_elasticsearch_domain_policy" "this" {
  count = var.create && length(var.reader_writer_role_arns) > 0 ? 1 : 0

  domain_name = aws_elasticsearch_domain.this[0].domain_name
  access_policies = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.reader_writer_role_arns }
      Action    = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut", "es:ESHttpDelete"]
      Resource  = "${aws_elasticsearch_domain.this[0].arn}/*"
    }]
  })
}
