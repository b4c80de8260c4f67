# The rewards keys live in Secrets Manager. Terraform creates the secrets only: the values (generated keypairs)
# are put outside Terraform (`smartpay rewards chain-setup`, which the local stack runs at start), so they never
# reach a state file. Shape: {"secret_key": "<base58 64-byte keypair>", "public_key": "<base58>"}
# (smartpay_rewards/chain/secrets.py). The API (redemptions) and the minter read them; the worker does not.

locals {
  chain_secrets = {
    mint_authority = {
      env         = "REWARDS_MINT_AUTHORITY_SECRET_ID"
      name        = "${local.prefix}/rewards/mint-authority"
      description = "Points mint authority: {\"secret_key\": \"<base58 64-byte keypair>\", \"public_key\": \"<base58>\"}."
    }
    fee_payer = {
      env         = "REWARDS_FEE_PAYER_SECRET_ID"
      name        = "${local.prefix}/rewards/fee-payer"
      description = "Fee payer of mints and settlements: {\"secret_key\": \"...\", \"public_key\": \"...\"}."
    }
    pool_authority = {
      env         = "REWARDS_POOL_AUTHORITY_SECRET_ID"
      name        = "${local.prefix}/rewards/pool-authority"
      description = "Exchange pool authority (reserves, durable nonce): {\"secret_key\": \"...\", \"public_key\": \"...\"}."
    }
  }

  secret_environment = { for key, secret in local.chain_secrets : secret.env => aws_secretsmanager_secret.chain[key].name }
  secret_policy_statements = [{
    sid       = "ChainKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for secret in aws_secretsmanager_secret.chain : secret.arn]
    functions = ["api", "minter"]
  }]
}

resource "aws_secretsmanager_secret" "chain" {
  for_each = local.chain_secrets
  #checkov:skip=CKV2_AWS_57:Solana keypairs cannot be rotated by a Lambda (a new mint authority is a new mint); rotation is a runbook (docs/rewards-chain.md).

  name                    = each.value.name
  description             = each.value.description
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_in_days
  tags                    = merge(local.tags, { "smartpay:secret" = each.key })
}
