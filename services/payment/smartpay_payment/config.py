"""Payment service settings (env prefix PAYMENT_), validated once at cold start."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
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
    # Stripe (localstripe locally: make up starts it on this port)
    stripe_api_base: str = "http://127.0.0.1:8420"
    stripe_api_key: SecretStr = SecretStr("sk_test_localstripe")
    # Amazon Pay: the local sandbox server (python -m smartpay_payment.sandbox.amazon_pay)
    amazon_pay_endpoint: str = "http://127.0.0.1:8430"
    amazon_pay_public_key_id: str = "SANDBOX-LOCAL"
    amazon_pay_private_key: SecretStr = SecretStr("sandbox-not-a-secret")
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
