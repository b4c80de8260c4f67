"""Disputes (chargebacks) as a pure transition: recorded on a captured payment, once, with the time the merchant
learnt of it. The saga's state does not change (the money stays captured at the gateway, which debits the merchant
for the chargeback); the record's disputed amount is no longer refundable, and `payment.disputed` tells the fraud
service (a label, from `known_at` on) and any other subscriber."""

from __future__ import annotations

from datetime import datetime, timedelta

from smartpay_payment.domain.model import REFUNDABLE, Dispute, DisputeRefused, Payment, Transition, advance, ids_of
from smartpay_shared.events import payloads as p

CLOCK_SKEW = timedelta(seconds=60)  # a known_at this far ahead of our clock is taken as the caller's clock drift


def same(dispute: Dispute, amount: int | None, reason: str, known_at: datetime | None) -> bool:
    """Whether a repeated request asks for the dispute already recorded (an omitted amount means the one taken,
    an omitted known_at the one recorded: a retry without it must not read as a second dispute a second later)."""
    return (dispute.reason == reason and known_at in (None, dispute.known_at)
            and amount in (None, dispute.amount))


def dispute_recorded(payment: Payment, dispute_id: str, amount: int | None, reason: str, known_at: datetime,
                     now: datetime) -> Transition:
    """The payment's one dispute: of `amount` (default: all that is still refundable), known at `known_at`, which
    is neither before the payment nor in the future. A second, different dispute is refused (conflict)."""
    if payment.disputes:
        raise DisputeRefused(f"payment {payment.payment_id} already has dispute {payment.disputes[0].dispute_id}",
                             conflict=True)
    if payment.state not in REFUNDABLE:
        raise DisputeRefused(f"a payment in {payment.state} cannot be disputed: nothing of it is captured")
    if known_at < payment.created_at:
        raise DisputeRefused(f"known_at {known_at.isoformat()} is before the payment was created "
                             f"({payment.created_at.isoformat()})", "known_at")
    if known_at > now + CLOCK_SKEW:
        raise DisputeRefused(f"known_at {known_at.isoformat()} is in the future", "known_at")
    available = payment.refundable_amount
    amount = available if amount is None else amount
    if available <= 0 or not 0 < amount <= available:
        raise DisputeRefused(f"a dispute of {amount} exceeds the {max(available, 0)} captured and not refunded",
                             "amount")
    dispute = Dispute(dispute_id=dispute_id, amount=amount, reason=reason, known_at=known_at, recorded_at=now)
    after = advance(payment, payment.state, now, f"dispute {dispute_id}: {reason}, {amount} {payment.currency}",
                    disputes=[dispute])
    event = p.PaymentDisputed(**ids_of(payment), dispute_id=dispute_id, currency=payment.currency, amount=amount,
                              reason=reason, known_at=known_at, gateway=payment.gateway)
    return Transition(payment, after, [event])
