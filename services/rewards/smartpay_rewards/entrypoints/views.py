"""The JSON shapes the API and the CLI show (points are integers; times ISO 8601 UTC)."""

from __future__ import annotations

from smartpay_rewards.domain.model import Entry, Redemption
from smartpay_rewards.service_layer.ledger import Statement
from smartpay_rewards.service_layer.ports import OfferDecision


def entry_view(e: Entry) -> dict:
    return {"entry_id": e.entry_id, "seq": e.seq, "kind": e.kind.value, "points": e.points,
            "debt_change": e.debt_change, "balance_after": e.balance_after, "debt_after": e.debt_after,
            "at": e.at.isoformat(), "payment_id": e.payment_id, "reference": e.reference, "detail": e.detail}


def offers_view(d: OfferDecision) -> dict:
    if not d.configured:
        return {"status": "not_configured", "detail": d.detail, "active": []}
    active = [] if d.offer is None else [{
        "offer_id": d.offer.offer_id, "title": d.offer.title, "multiplier": d.offer.multiplier,
        "expires_at": d.offer.expires_at.isoformat() if d.offer.expires_at else None,
        "attributes": dict(d.offer.attributes)}]
    return {"status": "ok", "policy_version": d.policy_version, "propensity": d.propensity, "active": active}


def statement_view(s: Statement) -> dict:
    a = s.account
    return {"customer_id": a.customer_id, "balance": a.balance, "debt": a.debt,
            "totals": {"earned": a.earned, "clawed_back": a.clawed, "redeemed": a.redeemed, "minted": a.minted},
            "updated_at": a.updated_at.isoformat() if a.updated_at else None,
            "history": [entry_view(e) for e in s.entries], "next_before": s.next_before,
            "offers": offers_view(s.offers)}


def redemption_view(r: Redemption) -> dict:
    return {"redemption_id": r.redemption_id, "customer_id": r.customer_id, "status": r.status, "points": r.points,
            "asset": r.asset, "venue": r.venue, "quoted_out": r.quoted_out, "min_out": r.min_out,
            "amount_out": r.amount_out, "reference": r.reference, "reason": r.reason, "detail": r.detail,
            "wallet": r.wallet, "fee_lamports": r.fee_lamports, "created_at": r.created_at.isoformat()}
