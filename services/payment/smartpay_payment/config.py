"""Payment service settings (env prefix PAYMENT_), validated once at cold start."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class PaymentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", extra="ignore")

    payments_table: str = "smartpay-payments"
    idempotency_table: str = "smartpay-payment-idempotency-keys"
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    max_attempts: int = Field(default=3, ge=1, le=10)
    saga_deadline_seconds: int = Field(default=120, ge=1, description="A saga not terminal by then is swept.")
    outbox_grace_seconds: int = Field(default=10, ge=0, description="Unpublished events older than this are re-sent.")
    gateways: str = Field(default="stripe,amazon_pay,solana", description="Enabled gateways, comma separated.")
    gateway_timeout_seconds: float = Field(default=10.0, gt=0)
    fault_injection: bool = Field(
        default=False, description="LOCAL STACK/TESTS ONLY: honour `smartpay_fault` directives in payment metadata.")
    # Gateway credentials: Secrets Manager secrets (JSON; shapes in adapters/secrets.py), read at cold start.
    # Terraform creates the secrets and sets these names; `smartpay payment put-secrets` puts local values.
    stripe_secret_id: str = Field(default="smartpay/payment/stripe",
                                  validation_alias=AliasChoices("STRIPE_SECRET_ID", "PAYMENT_STRIPE_SECRET_ID"))
    amazon_pay_secret_id: str = Field(default="smartpay/payment/amazon-pay", validation_alias=AliasChoices(
        "AMAZON_PAY_SECRET_ID", "PAYMENT_AMAZON_PAY_SECRET_ID"))
    solana_fee_payer_secret_id: str = Field(default="smartpay/payment/solana-fee-payer", validation_alias=AliasChoices(
        "SOLANA_FEE_PAYER_SECRET_ID", "PAYMENT_SOLANA_FEE_PAYER_SECRET_ID"))
    secrets_max_age_seconds: int = Field(default=300, ge=0, description="How long a read secret is cached.")
    # TESTS ONLY: an explicit value here replaces the secret (never set these in a deployed environment).
    stripe_api_key: SecretStr | None = None
    amazon_pay_public_key_id: str | None = None
    amazon_pay_private_key: SecretStr | None = Field(default=None, description="PEM (tests only).")
    solana_fee_payer_key: SecretStr | None = Field(default=None, description="base58 keypair (tests only).")
    # Stripe (localstripe locally: make up starts it on this port)
    stripe_api_base: str = "http://127.0.0.1:8420"
    # Amazon Pay: the local sandbox server (python -m smartpay_payment.sandbox.amazon_pay)
    amazon_pay_endpoint: str = "http://127.0.0.1:8430"
    amazon_pay_store_id: str = "amzn1.application-oa2-client.sandbox"
    # Solana: in-process LiteSVM (default, local) or an RPC cluster
    solana_mode: Literal["litesvm", "rpc"] = Field(
        default="rpc", description="rpc: PAYMENT_SOLANA_RPC_URL (the local sandbox by default); litesvm: in-process.")
    solana_rpc_url: str = "http://127.0.0.1:8899"
    solana_wallet_namespace: str = Field(default="smartpay-sandbox", description="Seed of the sandbox wallets.")
    solana_operator_airdrop_lamports: int = Field(
        default=0, ge=0, description="Airdrop the fee payer at start (sandbox/devnet); 0 disables.")

    @property
    def enabled_gateways(self) -> set[str]:
        return {g.strip() for g in self.gateways.split(",") if g.strip()}


@lru_cache(maxsize=1)
def payment_settings() -> PaymentSettings:
    return PaymentSettings()
