"""Which offer stood for a customer when a payment was captured: the newest decision the offer policy logged
for that merchant's customer at or before the capture (the API shows the standing decision and draws a new
one only once it has lapsed, so at most one offer stands at a time). The ledger pays that offer's bonus when
the payment falls inside it (domain.model.OfferTerms.pays_on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smartpay_rewards.domain.model import OfferTerms
from smartpay_rewards.offers.catalogue import DURATIONS_DAYS, Catalogue, default_catalogue
from smartpay_rewards.service_layer.decision_log import OfferDecisionLog

LOOKBACK = timedelta(days=max(DURATIONS_DAYS))  # an older decision's offer has lapsed at any capture time


@dataclass(frozen=True)
class ShownOffers:
    log: OfferDecisionLog
    catalogue: Catalogue = field(default_factory=default_catalogue)

    def standing(self, merchant_id: str, customer_id: str, at: datetime) -> OfferTerms | None:
        """The offer the customer was shown that stood at `at`, or None (no decision, "no offer", an action the
        catalogue does not hold). Whether it still ran at `at` and covers the purchase is the ledger's rule."""
        record = self.log.standing_at(merchant_id, customer_id, at, since=at - LOOKBACK)
        if record is None or record.action not in self.catalogue.ids:
            return None
        offer = self.catalogue.by_id(record.action)
        if not offer.is_offer or offer.category is None:
            return None
        return OfferTerms(offer.offer_id, record.decision_id, offer.category.value, offer.multiplier, record.at,
                          record.at + timedelta(days=offer.duration_days))
