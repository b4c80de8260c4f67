"""Customer context and offers in Vowpal Wabbit text format (`--cb_explore_adf`; namespaces C and O)."""

from __future__ import annotations

import math
from functools import lru_cache

from smartpay_rewards.offers.catalogue import Catalogue, Offer
from smartpay_rewards.offers.features import SHARE_KEYS, CustomerFeatures


def shared_line(f: CustomerFeatures) -> str:
    shares = " ".join(f"s_{k}:{f.category_share[k]:.4f}" for k in SHARE_KEYS)
    return (f"shared |C rec:{math.log1p(f.recency_days):.4f} f30:{math.log1p(f.frequency_30d):.4f} "
            f"f90:{math.log1p(f.frequency_90d):.4f} mon:{math.log1p(f.monetary_90d) / 5:.4f} "
            f"dso:{math.log1p(f.days_since_offer) / 5:.4f} o30:{f.offers_30d} top_{f.top_category or 'none'} "
            f"last_{f.last_offer_category or 'none'} {shares}")


@lru_cache(maxsize=256)
def _offer_tokens(offer: Offer) -> str:
    return f"|O m{offer.multiplier} c_{offer.category} d{offer.duration_days} o_{offer.offer_id.replace('-', '_')}"


def action_line(f: CustomerFeatures, offer: Offer) -> str:
    """The offer's identity and parts, and the customer's share and spend in its category (x multiplier,
    x weeks): what makes the same offer worth more to one customer than to another."""
    if not offer.is_offer:
        return "|O none"
    affinity = f.affinity(offer)
    spend = affinity * f.monetary_90d / 100  # the customer's 90-day spend in the offer's category, hundreds
    extra = offer.multiplier - 1
    return (f"{_offer_tokens(offer)} aff:{affinity:.4f} affm:{affinity * extra:.4f} sp:{spend:.4f} "
            f"spm:{spend * extra:.4f} spd:{spend * offer.duration_days / 7:.4f}")


def example(features: CustomerFeatures, catalogue: Catalogue,
            label: tuple[int, float, float] | None = None) -> list[str]:
    """The ADF example; with `label` (action index, cost, probability) on the logged action's line."""
    lines = [shared_line(features)]
    for i, offer in enumerate(catalogue.offers):
        line = action_line(features, offer)
        if label is not None and i == label[0]:
            line = f"0:{label[1]:.6f}:{label[2]:.6f} {line}"
        lines.append(line)
    return lines
