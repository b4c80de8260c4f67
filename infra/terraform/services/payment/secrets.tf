# Gateway credentials live in Secrets Manager. Terraform creates the secrets only: the values are put
# outside Terraform (`aws secretsmanager put-secret-value`, or `smartpay payment put-secrets` on the
# local stack), so they never reach a state file. Both payment Lambdas (the worker charges,
# the API checks vault tokens with the gateways) get the secret IDs in their environment and may read
# exactly these secrets; no other role may (docs/security.md). The names are
# also the payment service's defaults (smartpay_payment/config.py), the JSON shapes are in
# smartpay_payment/adapters/secrets.py.

locals {
  gateway_secrets = {
    stripe = {
      env         = "PAYMENT_STRIPE_SECRET_ID"
      name        = "${local.prefix}/payment/stripe"
      description = "Stripe connector: {\"api_key\": \"sk_...\"}."
    }
    amazon_pay = {
      env         = "PAYMENT_AMAZON_PAY_SECRET_ID"
      name        = "${local.prefix}/payment/amazon-pay"
      description = "Amazon Pay connector: {\"public_key_id\": \"SANDBOX-...\", \"private_key\": \"<PEM>\"}."
    }
    solana_fee_payer = {
      env         = "PAYMENT_SOLANA_FEE_PAYER_SECRET_ID"
      name        = "${local.prefix}/payment/solana-fee-payer"
      description = "Solana connector fee payer: {\"secret_key\": \"<base58 64-byte keypair>\", \"public_key\": \"<base58>\"}."
    }
  }

  secret_environment = { for key, secret in local.gateway_secrets : secret.env => aws_secretsmanager_secret.gateway[key].name }
  secret_policy_statements = [{
    sid       = "GatewaySecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for secret in aws_secretsmanager_secret.gateway : secret.arn]
    functions = ["worker", "api", "sweeper"]
  }]
}

resource "aws_secretsmanager_secret" "gateway" {
  for_each = local.gateway_secrets
  #checkov:skip=CKV2_AWS_57:Gateway credentials are issued by the gateways (Stripe dashboard, Amazon Pay Seller Central, a Solana keypair); no rotation Lambda can mint them. Rotation is the runbook in docs/security.md: put a new version, the cached value expires.

  name                    = each.value.name
  description             = each.value.description
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_in_days
  tags                    = merge(local.tags, { "smartpay:secret" = each.key })
}
