"""Money that moved for an attempt the saga left behind is given back (an authorization voided, a
capture recorded then refunded), and reserved refunds are settled at the gateway; the sweeper and
`reconcile --fix` use the same two steps."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from smartpay_payment.domain import model as m, refunds
from smartpay_payment.domain.charges import ChargeResult, GatewayError
from smartpay_payment.domain.timeline import Cause
from smartpay_payment.service_layer.ports import Gateway
from smartpay_payment.service_layer.retries import on_conflict

if TYPE_CHECKING:
    from smartpay_payment.service_layer.saga import Saga

log = logging.getLogger(__name__)


def compensate(saga: Saga, payment: m.Payment, cause: Cause | None, result: ChargeResult, gateway: Gateway) -> None:
    """Money moved for an attempt the saga left behind: void an authorization, refund a capture."""
    if result.status == "authorized":
        try:
            gateway.void(result.gateway_reference, f"{payment.payment_id}-void")
            log.warning("voided orphan authorization %s of %s", result.gateway_reference, payment.payment_id)
            return
        except GatewayError:
            pass  # cannot void (captured meanwhile, or a final transfer): refund below

    def record(current: m.Payment) -> tuple[m.Payment, m.Refund] | None:
        try:
            transition, refund = refunds.late_capture_found(current, gateway.name, result.gateway_reference,
                                                      result.amount, saga.clock())
        except m.Stale:
            return None  # already recorded
        return saga.commit(transition, cause), refund

    recorded = on_conflict(lambda: saga.load(payment.payment_id, payment.merchant_id), record, start=payment,
                           sleep=saga.sleep)
    if recorded is None:
        return
    log.warning("compensating a late charge %s of %s", result.gateway_reference, payment.payment_id)
    settle_refund(saga, *recorded, cause)


def settle_refund(saga: Saga, payment: m.Payment, refund: m.Refund, cause: Cause | None) -> m.Payment:
    """Call the gateway for a reserved refund and record the outcome; a retriable failure keeps it
    pending (the sweeper retries it under the same reference: never refunded twice)."""
    gateway = saga.gateways[refund.gateway or payment.gateway]
    reference = f"{payment.payment_id}-r{refund.number}"
    try:
        done = gateway.refund(refund.gateway_reference or payment.gateway_reference, refund.amount, reference)
        refund_id: str | None = done.refund_id
    except GatewayError as e:
        if e.retriable:
            log.warning("refund %s of %s pending: %s", refund.number, payment.payment_id, e)
            raise
        refund_id = None

    def record(current: m.Payment) -> m.Payment:
        try:
            return saga.commit(refunds.refund_settled(current, refund.number, refund_id, saga.clock()), cause)
        except m.Stale:
            return current

    return on_conflict(lambda: saga.load(payment.payment_id, payment.merchant_id), record, start=payment,
                       sleep=saga.sleep)
