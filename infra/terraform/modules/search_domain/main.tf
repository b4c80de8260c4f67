# The payments search index domain. aws_elasticsearch_domain because provider 3.39 has no
# aws_opensearch_domain; the engine is still selectable ("OpenSearch_1.0" style versions need a newer
# provider). Off locally, where the chat service uses its embedded engine.

resource "aws_elasticsearch_domain" "this" {
  count = var.create ? 1 : 0

  domain_name           = var.domain_name
  elasticsearch_version = var.engine_version
  tags                  = var.tags

  cluster_config {
    instance_type  = var.instance_type
    instance_count = var.instance_count
  }

  ebs_options {
    ebs_enabled = true
    volume_size = var.volume_size
    volume_type = "gp2"
  }

  encrypt_at_rest {
    enabled = true
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }
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
