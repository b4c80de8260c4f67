"""The payment-method vault's record: one customer's card as the gateway tokens that charge it (like
Spreedly/VGS keep per-gateway tokens). Never a card number: tokens, brand, last4 and expiry only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from smartpay_shared import ids
from smartpay_shared.events.payloads import Gateway

VAULT_PREFIX = "pmv_"


def new_vault_id(draw: Callable[[], str] = lambda: uuid.uuid4().hex) -> str:
    """A fresh vault id no card-number check can take for a card (`ids.new_id`): the vault id travels as the
    method token of payment.requested, which fraud refuses when it holds a card number even glued to letters;
    such a payment stayed REQUESTED until the sweeper failed it."""
    return ids.new_id(VAULT_PREFIX, draw)


class InconsistentMethod(ValueError):
    """The tokens are not of one card (their gateways disagree on last4/brand/expiry)."""


class VaultedMethod(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    vault_id: str = Field(pattern=r"^pmv_[a-f0-9]{32}$")
    merchant_id: str
    customer_id: str
    type: Literal["card"] = "card"
    gateway_tokens: dict[Gateway, str] = Field(min_length=1)
    last4: str | None = Field(default=None, pattern=r"^\d{4}$")
    brand: str | None = None
    exp_month: int | None = Field(default=None, ge=1, le=12)
    exp_year: int | None = None
    created_at: datetime

    def view(self) -> dict:
        """What the merchant sees: which gateways hold the card, never the tokens themselves."""
        return {"vault_id": self.vault_id, "type": self.type, "customer_id": self.customer_id,
                "gateways": sorted(self.gateway_tokens), "last4": self.last4, "brand": self.brand,
                "exp_month": self.exp_month, "exp_year": self.exp_year, "created_at": self.created_at.isoformat()}


def agree(details: dict[str, dict]) -> dict:
    """One card's display fields from what each gateway said about its token; a field two gateways
    state differently means the tokens are of different cards."""
    merged: dict = {}
    for gateway, fields in details.items():
        for key, value in fields.items():
            if value is None:
                continue
            value = value.lower() if key == "brand" else value
            if merged.get(key, value) != value:
                raise InconsistentMethod(f"{gateway} says {key} differs from the other gateways: not one card")
            merged[key] = value
    return merged
