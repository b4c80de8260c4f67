"""Rewards settings (env prefix REWARDS_), validated once at cold start. The environment contract:
docs/terraform.md ("Environment contract"); `deployed` says what Terraform sets each key to."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smartpay_shared.config import deployed

from smartpay_rewards.domain.points import EarnRates, parse_rate

_WITH_CCXT = "variable `exchange_venue` is `ccxt`"


class RewardsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REWARDS_", extra="ignore")

    ledger_table: str = Field(default="smartpay-rewards-ledger",
                              description="The append-only points ledger (one item per entry).",
                              json_schema_extra=deployed("the ledger table, `<p>-rewards-ledger`"))
    accounts_table: str = Field(default="smartpay-rewards-accounts",
                                description="Balances per merchant and customer, payment records, applied events.",
                                json_schema_extra=deployed("the accounts table, `<p>-rewards-accounts`"))
    default_earn_rate: str = Field(default="1", description="Points per major unit of a captured amount (a decimal "
                                   "in (0, 1000]) for merchants without a rate of their own.",
                                   json_schema_extra=deployed("variable `default_earn_rate` (\"1\")"))
    merchant_earn_rates: dict[str, str] = Field(
        default_factory=dict, description="Earn rate per merchant id (JSON object of decimal strings).",
        json_schema_extra=deployed("variable `merchant_earn_rates` as JSON ({})"))

    # On chain (docs/rewards-chain.md): the wallet challenges, the mint journal, the keys, the cluster, the venue.
    challenges_table: str = Field(default="smartpay-rewards-challenges",
                                  description="Wallet-link challenges (one per nonce; TTL on expires_at).",
                                  json_schema_extra=deployed("the challenges table, `<p>-rewards-challenges`"))
    mint_journal_table: str = Field(default="smartpay-rewards-mint-journal",
                                    description="Mint batches: pending before send, then minted or failed.",
                                    json_schema_extra=deployed("the mint journal table, `<p>-rewards-mint-journal`"))
    mint_authority_secret_id: str = Field(default="smartpay/rewards/mint-authority",
                                          description="Secret of the points mint's authority keypair.",
                                          json_schema_extra=deployed("the secret `<p>/rewards/mint-authority`"))
    fee_payer_secret_id: str = Field(default="smartpay/rewards/fee-payer",
                                     description="Secret of the fee payer of mints and settlements.",
                                     json_schema_extra=deployed("the secret `<p>/rewards/fee-payer`"))
    pool_authority_secret_id: str = Field(default="smartpay/rewards/pool-authority",
                                          description="Secret of the exchange pool's authority keypair.",
                                          json_schema_extra=deployed("the secret `<p>/rewards/pool-authority`"))
    solana_rpc_url: str = Field(default="https://api.devnet.solana.com", description="Solana JSON-RPC.",
                                json_schema_extra=deployed("variable `solana_rpc_url` "
                                                           "(`https://api.devnet.solana.com`; locally the sandbox)"))
    exchange_venue: Literal["pool", "ccxt"] = Field(
        default="pool", description="Where redemptions settle: `pool` (the constant-product pool on chain) or "
        "`ccxt` (a centralised exchange; the points are collected on chain first).",
        json_schema_extra=deployed("variable `exchange_venue` (\"pool\")"))
    # The ccxt venue (docs/rewards-chain.md, "Centralised exchange through ccxt"): set only when it is chosen.
    exchange_id: Literal["binance"] = Field(
        default="binance", description="The ccxt exchange id (the adapter maps Binance spot's order parameters "
        "and error codes; another exchange needs its own mapping first).",
        json_schema_extra=deployed("variable `exchange_id` (\"binance\")", when=_WITH_CCXT))
    exchange_api_key_secret_id: str = Field(
        default="", description="Secret of the exchange API key, `{\"api_key\": ..., \"secret\": ...}` "
        "(read by the API at its first redemption; the key is never in the environment). Required with `ccxt`.",
        json_schema_extra=deployed("the secret `<p>/rewards/exchange-api-key`", when=_WITH_CCXT))
    exchange_point_value: str = Field(
        default="0.01", pattern=r"^[0-9]{1,9}(\.[0-9]{1,12})?$",
        description="What one point buys at the exchange, in its quote currency (a decimal > 0; the "
        "platform's exchange account pays it).",
        json_schema_extra=deployed("variable `exchange_point_value` (\"0.01\")", when=_WITH_CCXT))
    exchange_quote_currency: str = Field(
        default="USDT", pattern=r"^[A-Z0-9]{2,10}$",
        description="The exchange's quote currency: a redemption into SOL buys on `SOL/<this>`.",
        json_schema_extra=deployed("variable `exchange_quote_currency` (\"USDT\")", when=_WITH_CCXT))
    mint_batch_size: int = Field(default=20, ge=1, le=40, description="Mint orders per transaction at most "
                                 "(the journal writes a batch's markers in one 100-item transaction).",
                                 json_schema_extra=deployed("variable `mint_batch_size` (20)"))

    # Offers (docs/rewards-offers.md): every decision is logged with its propensity for off-policy evaluation.
    offer_decisions_table: str = Field(default="smartpay-rewards-offer-decisions",
                                       description="The offer decision log (one item per decision, append-only).",
                                       json_schema_extra=deployed("the decisions table, "
                                                                  "`<p>-rewards-offer-decisions`"))
    offer_model_s3_uri: str = Field(default="", pattern=r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+)?$",
                                    description="A Vowpal Wabbit offer checkpoint (`s3://bucket/key`), read once "
                                    "at cold start; empty: the uniform policy over the catalogue (the logging "
                                    "policy the first training data come from).",
                                    json_schema_extra=deployed("variable `offer_model_s3_uri` (\"\")"))

    @field_validator("default_earn_rate")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @field_validator("merchant_earn_rates")
    @classmethod
    def _rates(cls, value: dict[str, str]) -> dict[str, str]:
        for rate in value.values():
            parse_rate(rate)
        return value

    @field_validator("exchange_point_value")
    @classmethod
    def _point_value(cls, value: str) -> str:
        if Decimal(value) <= 0:
            raise ValueError("exchange_point_value must be above 0")
        return value

    @model_validator(mode="after")
    def _ccxt_needs_its_key(self) -> RewardsSettings:
        if self.exchange_venue == "ccxt" and not self.exchange_api_key_secret_id:
            raise ValueError("exchange_venue ccxt needs REWARDS_EXCHANGE_API_KEY_SECRET_ID (the API key's secret)")
        return self

    def earn_rates(self) -> EarnRates:
        return EarnRates(self.default_earn_rate, self.merchant_earn_rates)


@lru_cache(maxsize=1)
def rewards_settings() -> RewardsSettings:
    return RewardsSettings()
