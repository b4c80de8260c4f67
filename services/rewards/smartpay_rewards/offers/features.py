"""Customer context for the offer policy, as pure functions of a history the caller passes: recency, frequency
and monetary value (RFM) of points-earning spend, the share of spend per offer category, and how recently and
how often offers were shown (fatigue). Everything is measured at `now`; events after `now` are ignored."""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from dataclasses import dataclass
from datetime import datetime

from smartpay_rewards.offers.catalogue import Category, Offer
from smartpay_rewards.offers.history import CustomerHistory

HORIZON_DAYS = 90
RECENT_DAYS = 30
NEVER_DAYS = 365.0  # recency / time since last offer when there is none (or it is older): "a year or more"
OTHER = "other"
# merchant_category as payments carry it (free text or an ISO 18245 MCC) -> offer category; first match wins
_ALIASES: tuple[tuple[Category, tuple[str, ...]], ...] = (
    (Category.GROCERY, ("grocer", "supermarket", "5411", "5422", "5451", "5499")),
    (Category.DINING, ("dining", "restaurant", "food", "cafe", "coffee", "bar", "5812", "5813", "5814")),
    (Category.FUEL, ("fuel", "gas", "petrol", "5541", "5542", "5983")),
    (Category.TRAVEL, ("travel", "airline", "hotel", "lodging", "rail", "4511", "4722", "7011", "4111")),
)
SHARE_KEYS = (*(c.value for c in Category), OTHER)


@lru_cache(maxsize=4096)  # merchant categories repeat: a history of hundreds of purchases names a handful
def category_of(merchant_category: str | None) -> str:
    """The offer category a merchant category counts toward, or "other"."""
    text = (merchant_category or "").strip().lower()
    if not text:
        return OTHER
    for category, needles in _ALIASES:
        if any(n in text for n in needles):
            return category.value
    return OTHER


@dataclass(frozen=True)
class CustomerFeatures:
    recency_days: float  # since the last purchase, capped at NEVER_DAYS
    frequency_30d: int
    frequency_90d: int
    monetary_90d: float  # spend in the last 90 days, currency units
    category_share: Mapping[str, float]  # share of 90-day spend per SHARE_KEYS (all 0 without spend)
    days_since_offer: float  # since the last offer shown (not "none"), capped at NEVER_DAYS
    offers_30d: int  # offers shown in the last 30 days
    last_offer_category: str | None

    @property
    def top_category(self) -> str | None:
        if self.monetary_90d <= 0:
            return None
        return max(SHARE_KEYS, key=lambda k: self.category_share[k])

    def affinity(self, offer: Offer) -> float:
        """The customer's share of spend in the offer's category (0 for no offer)."""
        return self.category_share[offer.category.value] if offer.is_offer else 0.0

    def as_mapping(self) -> dict[str, float | int | str]:
        """Flat, JSON-ready context (what the decision log keeps and OPE's reward model reads)."""
        out: dict[str, float | int | str] = {
            "recency_days": round(self.recency_days, 3), "frequency_30d": self.frequency_30d,
            "frequency_90d": self.frequency_90d, "monetary_90d": round(self.monetary_90d, 2),
            "days_since_offer": round(self.days_since_offer, 3), "offers_30d": self.offers_30d,
            "last_offer_category": self.last_offer_category or "none", "top_category": self.top_category or "none"}
        out.update({f"share_{k}": round(self.category_share[k], 4) for k in SHARE_KEYS})
        return out

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, float | int | str]) -> CustomerFeatures:
        """The features a decision was made on, back from the context its log kept (`as_mapping`, rounded as
        stored): training reads exactly what was logged, never today's data. `top_category` is derived from
        the shares, as it was when logged. A missing key or a malformed value is a ValueError."""
        try:
            last = str(mapping["last_offer_category"])
            return cls(recency_days=float(mapping["recency_days"]), frequency_30d=int(mapping["frequency_30d"]),
                       frequency_90d=int(mapping["frequency_90d"]), monetary_90d=float(mapping["monetary_90d"]),
                       category_share={k: float(mapping[f"share_{k}"]) for k in SHARE_KEYS},
                       days_since_offer=float(mapping["days_since_offer"]), offers_30d=int(mapping["offers_30d"]),
                       last_offer_category=None if last == "none" else last)
        except KeyError as e:
            raise ValueError(f"the logged context has no {e.args[0]!r}") from None
        except (TypeError, ValueError) as e:
            raise ValueError(f"the logged context is malformed: {e}") from None

    def vector(self) -> list[float]:
        """Numeric features in VECTOR_NAMES order (the offline reward model's design, before its intercept)."""
        return [math.log1p(self.recency_days), math.log1p(self.frequency_30d), math.log1p(self.frequency_90d),
                math.log1p(self.monetary_90d), math.log1p(self.days_since_offer), float(self.offers_30d),
                *(self.category_share[k] for k in SHARE_KEYS),
                *(self.category_share[k] * math.log1p(self.monetary_90d) for k in SHARE_KEYS)]


VECTOR_NAMES = ("log_recency", "log_frequency_30d", "log_frequency_90d", "log_monetary_90d", "log_days_since_offer",
                "offers_30d", *(f"share_{k}" for k in SHARE_KEYS), *(f"spend_{k}" for k in SHARE_KEYS))


def customer_features(history: CustomerHistory, now: datetime) -> CustomerFeatures:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    spend = dict.fromkeys(SHARE_KEYS, 0.0)
    recency, f30, f90 = NEVER_DAYS, 0, 0
    for purchase in history.purchases:
        age = (now - purchase.at).total_seconds() / 86400
        if age < 0:
            continue
        recency = min(recency, age)
        if age <= HORIZON_DAYS:
            f90 += 1
            f30 += age <= RECENT_DAYS
            spend[category_of(purchase.merchant_category)] += purchase.amount
    total = sum(spend.values())
    share = {k: (v / total if total > 0 else 0.0) for k, v in spend.items()}
    since, recent, last_category = NEVER_DAYS, 0, None
    for shown in history.offers:
        age = (now - shown.at).total_seconds() / 86400
        if age < 0 or shown.offer_id == "none":
            continue
        recent += age <= RECENT_DAYS
        if age < since:
            since = age
            last_category = _offer_category(shown.offer_id)
    return CustomerFeatures(recency_days=recency, frequency_30d=f30, frequency_90d=f90, monetary_90d=total,
                            category_share=share, days_since_offer=since, offers_30d=recent,
                            last_offer_category=last_category)


def _offer_category(offer_id: str) -> str | None:
    parts = offer_id.split("-")
    return parts[1] if len(parts) == 3 else None
