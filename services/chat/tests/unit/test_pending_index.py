"""Issue #17 item 3: every payment is indexed from its first event. payment.requested writes the in-flight
document (pending, the record's first version, nothing announced); the terminal event replaces it; a late or
repeated payment.requested never takes a payment back to pending (the index keeps the highest version). Counts
include the pending payments, rates and money do not (METRICS.md). The real embedded engine, in memory."""

from datetime import timedelta
from decimal import Decimal

import pytest

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentCompleted, PaymentMethod, PaymentRefunded, PaymentRequested

from smartpay_chat.domain.answers import lookup_text
from smartpay_chat.domain.document import REQUESTED_VERSION
from smartpay_chat.domain.plan import AggregatePlan
from smartpay_chat.service_layer import handlers

PAYMENT = Producer(service="payment", version="0.1.0")
CHAT = Producer(service="chat", version="0.1.0")
PAY_ID = "pay_PENDING0001"


@pytest.fixture
def index(empty_index):
    return empty_index


def requested(t0, payment_id=PAY_ID, amount=4250):
    data = PaymentRequested(payment_id=payment_id, merchant_id="m_acme", currency="EUR", amount=amount,
                            customer_id="cus_1", country="DE", merchant_category="retail",
                            payment_method=PaymentMethod(type="card", token="tok_visa", last4="4242"))
    return new_envelope(data, producer=PAYMENT, correlation_id=payment_id, occurred_at=t0)


def completed(snapshot, payment_id=PAY_ID):
    data = PaymentCompleted(payment_id=payment_id, merchant_id="m_acme", status=snapshot.status, payment=snapshot)
    return new_envelope(data, producer=PAYMENT, correlation_id=payment_id)


def refunded(snapshot):
    data = PaymentRefunded(payment_id=PAY_ID, merchant_id="m_acme", gateway="stripe", refund_id="re_1", amount=1000,
                           currency="EUR", total_refunded=snapshot.refunded_amount, reason="asked", payment=snapshot)
    return new_envelope(data, producer=PAYMENT, correlation_id=PAY_ID)


def test_a_requested_payment_is_indexed_pending_and_nothing_is_announced(index, t0):
    published = []
    result = handlers.on_payment_requested(requested(t0), index, published.append, CHAT)
    assert (result.outcome, result.stored_version) == ("created", REQUESTED_VERSION)
    assert published == []  # payment.indexed completes the saga: not before it ends
    doc = index.get("m_acme", PAY_ID)
    assert (doc.status, doc.saga_status, doc.approved, doc.version) == ("pending", "requested", False, 1)
    assert (doc.amount, doc.currency, doc.method, doc.card_last4, doc.country) == (Decimal("42.50"), "EUR", "card",
                                                                                   "4242", "DE")
    assert doc.created_at == t0 and doc.completed_at is None and doc.latency_ms is None and doc.gateway is None
    assert "is still pending" in lookup_text(doc)
    assert handlers.on_payment_requested(requested(t0), index, published.append, CHAT).outcome == "duplicate"


def test_the_terminal_event_replaces_the_pending_document(index, snapshot, t0):
    published = []
    handlers.on_payment_requested(requested(t0), index, published.append, CHAT)
    result = handlers.on_payment_completed(completed(snapshot()), index, published.append, CHAT)
    assert result.outcome == "updated" and [e.data.document_version for e in published] == [7]
    doc = index.get("m_acme", PAY_ID)
    assert (doc.status, doc.version, doc.gateway) == ("captured", 7, "stripe")


@pytest.mark.parametrize("terminal", ["completed", "refunded"])
def test_a_late_payment_requested_never_takes_a_payment_back_to_pending(index, snapshot, t0, terminal):
    published = []
    if terminal == "completed":
        handlers.on_payment_completed(completed(snapshot()), index, published.append, CHAT)
    else:
        handlers.on_payment_refunded(refunded(snapshot(version=9, status="partially_refunded", refunded_amount=1000)),
                                     index, published.append, CHAT)
    before = index.get("m_acme", PAY_ID)
    late = handlers.on_payment_requested(requested(t0), index, published.append, CHAT)
    assert late.outcome == "stale" and late.stored_version == before.version
    assert index.get("m_acme", PAY_ID) == before
    assert len(published) == 1  # only the terminal event's announcement


def test_pending_payments_count_but_are_not_terminal_approved_or_money(index, snapshot, t0):
    published = []
    handlers.on_payment_completed(completed(snapshot(created_at=t0, completed_at=t0 + timedelta(seconds=1),
                                                     timeline=[]), "pay_PENDINGDONE1"),
                                  index, published.append, CHAT)
    for n in range(2):
        handlers.on_payment_requested(requested(t0 + timedelta(minutes=n), f"pay_PENDINGOPEN{n}"), index,
                                      published.append, CHAT)

    def rows(metric, **plan):
        return index.execute("m_acme", AggregatePlan(metric=metric, **plan), None).rows

    by_status = {r["status"]: r["n"] for r in rows("count", group_by=["status"])}
    assert by_status == {"captured": 1, "pending": 2}
    assert rows("count", filters={"statuses": ["pending"]})[0]["n"] == 2
    assert [(r["numerator"], r["denominator"]) for r in rows("approval_rate")] == [(1, 1)]  # terminal only
    assert [(r["currency"], r["amount_minor"]) for r in rows("volume")] == [("EUR", 4250)]  # approved only
    assert rows("latency")[0]["n"] == 1
