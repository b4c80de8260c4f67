"""What a customer did, as the offer features read it: points-earning purchases and the offers shown before.
The caller builds it (from the points ledger and the offer decision log); nothing here reads a store."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Purchase:
    at: datetime
    amount: float  # points-earning spend in currency units (a refunded share already taken off)
    merchant_category: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("purchase time must be timezone-aware")
        if not (math.isfinite(self.amount) and self.amount >= 0):
            raise ValueError(f"purchase amount must be a finite number >= 0, got {self.amount}")


@dataclass(frozen=True, slots=True)
class OfferShown:
    at: datetime
    offer_id: str  # Offer.offer_id; "none" rows are decisions to show nothing and are not counted as offers

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("offer time must be timezone-aware")


@dataclass(frozen=True)
class CustomerHistory:
    purchases: tuple[Purchase, ...] = ()
    offers: tuple[OfferShown, ...] = ()
