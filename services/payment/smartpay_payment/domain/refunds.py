"""Refunds as pure transitions: reserved before the gateway is called (never above what is refundable),
settled (or refused) after; and a late charge recorded with its compensation refund."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from smartpay_payment.domain.history import IMPORT_KEY
from smartpay_payment.domain.model import (REFUNDABLE, SNAPSHOT_STATUS, Payment, Refund, RefundRefused, Stale, State,
                                           Transition, advance, ids_of)
from smartpay_shared.events import payloads as p


def refund_reserved(payment: Payment, amount: int | None, reason: str, now: datetime) -> tuple[Transition, Refund]:
    if payment.state not in REFUNDABLE:
        raise RefundRefused(f"a payment in {payment.state} cannot be refunded")
    if IMPORT_KEY in payment.metadata:  # domain/history.py: charged at the previous provider, not on ours
        raise RefundRefused("an imported payment was charged at its previous provider: refund it there")
    amount = payment.refundable_amount if amount is None else amount
    if amount <= 0 or amount > payment.refundable_amount:
        raise RefundRefused(f"refund of {amount} exceeds the refundable {payment.refundable_amount}")
    refund = Refund(number=len(payment.refunds) + 1, amount=amount, reason=reason)
    after = payment.model_copy(update={"refunds": [*payment.refunds, refund], "version": payment.version + 1,
                                       "updated_at": now})
    return Transition(payment, after, []), refund


def refund_settled(payment: Payment, number: int, refund_id: str | None, now: datetime) -> Transition:
    """The gateway refunded (refund_id) or refused (None) reserved refund `number`."""
    refund = next((r for r in payment.refunds if r.number == number), None)
    if refund is None or refund.status != "pending":
        raise Stale(f"refund {number} is not pending")
    if refund_id is None:
        refunds = [r.model_copy(update={"status": "refused"}) if r.number == number else r for r in payment.refunds]
        return Transition(payment, payment.model_copy(update={"refunds": refunds, "version": payment.version + 1,
                                                              "updated_at": now}), [])
    refunds = [r.model_copy(update={"status": "succeeded", "refund_id": refund_id}) if r.number == number else r
               for r in payment.refunds]
    interim = payment.model_copy(update={"refunds": refunds})
    if refund.compensation:
        state = payment.state
    else:
        state = State.REFUNDED if interim.refunded_amount >= interim.captured_amount else State.PARTIALLY_REFUNDED
    after = advance(interim, state, now, f"refund {number}: {refund.amount}")
    if state not in SNAPSHOT_STATUS:  # a compensation while another attempt is in flight: timeline only
        return Transition(payment, after, [])
    events: list[BaseModel] = [p.PaymentRefunded(
        **ids_of(payment), gateway=payment.gateway, refund_id=refund_id, amount=refund.amount,
        currency=payment.currency, total_refunded=after.refunded_amount, reason=refund.reason[:500] or "refund",
        payment=after.snapshot())]
    if state == State.REFUNDED:
        events.append(p.PaymentCompleted(**ids_of(payment), status="refunded", payment=after.snapshot()))
    return Transition(payment, after, events)


def late_capture_found(payment: Payment, gateway: str, gateway_reference: str, amount: int,
                       now: datetime) -> tuple[Transition, Refund]:
    """Money moved for an attempt the saga has left behind (it failed meanwhile, or another attempt
    won): record the charge and reserve its compensation refund, so the ledger nets to what was kept."""
    if any(r.compensation and r.reason.endswith(gateway_reference) for r in payment.refunds):
        raise Stale("compensation already recorded")
    refund = Refund(number=len(payment.refunds) + 1, amount=amount, compensation=True,
                    reason=f"compensation for {gateway_reference}", gateway=gateway,
                    gateway_reference=gateway_reference)
    changes: dict[str, Any] = {"captured_amount": payment.captured_amount + amount,
                               "refunds": [*payment.refunds, refund]}
    if payment.state == State.FAILED and not payment.gateway_reference:
        changes.update(gateway=gateway, gateway_reference=gateway_reference)
    after = advance(payment, payment.state, now, f"late capture on {gateway}; compensating", **changes)
    return Transition(payment, after, []), refund
