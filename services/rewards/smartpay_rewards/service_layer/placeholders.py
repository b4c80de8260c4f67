"""Loud placeholders wired when nothing implements a port yet (issue #20 parts 2-4)."""

from __future__ import annotations

from smartpay_rewards.service_layer.ports import OfferContext, OfferDecision, OfferPolicy

OFFERS_NOT_CONFIGURED = "offers not configured: no OfferPolicy is wired (issue #20, part 2)"


class OffersNotConfigured(OfferPolicy):
    """Answers every customer with no offer and `configured=False`; the API shows it as
    `offers.status == "not_configured"` with this detail, never as an empty list that looks real."""

    def choose(self, context: OfferContext) -> OfferDecision:
        return OfferDecision(offer=None, propensity=1.0, policy_version="not_configured", configured=False,
                             detail=OFFERS_NOT_CONFIGURED)
