"""Payment service settings (env prefix PAYMENT_), validated once at cold start. The environment contract:
docs/terraform.md ("Environment contract"); `set_by` says who sets each key on a deployed function."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.config import SetBy, deployed, set_by

_TESTS_ONLY = set_by(SetBy.TESTS, "replaces the secret; never set in a deployed environment")


class PaymentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_", extra="ignore")

    payments_table: str = Field(default="smartpay-payments", description="Saga state, outbox and vault items.",
                                json_schema_extra=deployed("the payments table, `<p>-payments`"))
    idempotency_table: str = Field(default="smartpay-payment-idempotency-keys",
                                   description="Idempotency-Key header of POST /pay.",
                                   json_schema_extra=deployed("the keys table, `<p>-payment-idempotency-keys`"))
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60, description="How long an Idempotency-Key holds.")
    max_attempts: int = Field(default=3, ge=1, le=10, description="Gateways tried per payment.")
    saga_deadline_seconds: int = Field(default=120, ge=1, description="A saga not terminal by then is swept.")
    outbox_grace_seconds: int = Field(default=10, ge=0, description="Unpublished events older than this are re-sent.")
    gateways: str = Field(default="stripe,amazon_pay,solana", description="Enabled gateways, comma separated.")
    gateway_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of each gateway call.")
    fault_injection: bool = Field(
        default=False, description="LOCAL STACK/TESTS ONLY: honour `smartpay_fault` directives in payment metadata.",
        json_schema_extra=deployed("variable `fault_injection` (false; true locally)"))
    # Gateway credentials: Secrets Manager secrets (JSON; shapes in adapters/secrets.py), read at cold start.
    # Terraform creates the secrets and sets these names; `smartpay payment put-secrets` puts local values.
    stripe_secret_id: str = Field(default="smartpay/payment/stripe", description="Secret of the Stripe connector.",
                                  json_schema_extra=deployed("the secret `<p>/payment/stripe`"))
    amazon_pay_secret_id: str = Field(default="smartpay/payment/amazon-pay",
                                      description="Secret of the Amazon Pay connector.",
                                      json_schema_extra=deployed("the secret `<p>/payment/amazon-pay`"))
    solana_fee_payer_secret_id: str = Field(default="smartpay/payment/solana-fee-payer",
                                            description="Secret of the Solana fee payer.",
                                            json_schema_extra=deployed("the secret `<p>/payment/solana-fee-payer`"))
    secrets_max_age_seconds: int = Field(default=300, ge=0, description="How long a read secret is cached.")
    # TESTS ONLY: an explicit value here replaces the secret (never set these in a deployed environment).
    stripe_api_key: SecretStr | None = Field(default=None, description="Stripe secret key.",
                                             json_schema_extra=_TESTS_ONLY)
    amazon_pay_public_key_id: str | None = Field(default=None, description="Amazon Pay public key id.",
                                                 json_schema_extra=_TESTS_ONLY)
    amazon_pay_private_key: SecretStr | None = Field(default=None, description="Amazon Pay private key (PEM).",
                                                     json_schema_extra=_TESTS_ONLY)
    solana_fee_payer_key: SecretStr | None = Field(default=None, description="Solana fee payer (base58 keypair).",
                                                   json_schema_extra=_TESTS_ONLY)
    # The gateways' addresses: the real providers by default, as Terraform deploys them; a local stack sets the
    # addresses of its own localstripe, Amazon Pay and Solana sandboxes (free ports, through Terraform variables).
    stripe_api_base: str = Field(default="https://api.stripe.com", description="Stripe API.",
                                 json_schema_extra=deployed("variable `stripe_api_base` (`https://api.stripe.com`; "
                                                            "locally localstripe)"))
    amazon_pay_endpoint: str = Field(default="https://pay-api.amazon.com", description="Amazon Pay API.",
                                     json_schema_extra=deployed("variable `amazon_pay_endpoint` "
                                                                "(`https://pay-api.amazon.com`; locally the sandbox)"))
    solana_mode: Literal["litesvm", "rpc"] = Field(
        default="rpc", description="rpc: PAYMENT_SOLANA_RPC_URL; litesvm: an in-process Solana VM (tests).")
    solana_rpc_url: str = Field(default="https://api.devnet.solana.com", description="Solana JSON-RPC.",
                                json_schema_extra=deployed("variable `solana_rpc_url` (`https://api.devnet.solana.com`; "
                                                           "locally the sandbox)"))
    solana_wallet_namespace: str = Field(default="smartpay-sandbox", description="Seed of the sandbox wallets.")
    solana_operator_airdrop_lamports: int = Field(
        default=0, ge=0, description="Airdrop the fee payer at start (sandbox/devnet); 0 disables.")

    @property
    def enabled_gateways(self) -> set[str]:
        return {g.strip() for g in self.gateways.split(",") if g.strip()}


@lru_cache(maxsize=1)
def payment_settings() -> PaymentSettings:
    return PaymentSettings()
