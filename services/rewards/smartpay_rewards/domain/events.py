"""The events the ledger consumes and how their payloads become the domain's Capture and Refund."""

from __future__ import annotations

from datetime import datetime

from smartpay_shared.events import payloads as p

from smartpay_rewards.domain.model import Capture, Refund

CAPTURED, REFUNDED = "payment.captured", "payment.refunded"
CONSUMED_EVENT_TYPES = (CAPTURED, REFUNDED)


def capture_of(data: p.PaymentCaptured, event_id: str, occurred_at: datetime) -> Capture:
    return Capture(data.merchant_id, data.customer_id, data.payment_id, event_id, data.currency, data.amount,
                   occurred_at)


def refund_of(data: p.PaymentRefunded, event_id: str, occurred_at: datetime) -> Refund:
    # payment.refunded names the customer in the payment snapshot it carries.
    return Refund(data.merchant_id, data.payment.customer_id, data.payment_id, event_id, data.refund_id,
                  data.currency, data.amount, data.total_refunded, occurred_at)
