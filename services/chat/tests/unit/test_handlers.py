"""Indexer handlers on the real embedded engine (in memory): upsert, then payment.indexed; duplicates
re-announce the same event, stale versions announce nothing, inconsistent refunds are refused."""

import pytest

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentCompleted, PaymentRefunded

from smartpay_chat.domain.errors import InvalidPayment
from smartpay_chat.service_layer import handlers

PAYMENT = Producer(service="payment", version="0.1.0")
CHAT = Producer(service="chat", version="0.1.0")
PAY_ID = "pay_HANDLER001"


@pytest.fixture
def index(empty_index):
    return empty_index


def completed(snapshot):
    data = PaymentCompleted(payment_id=PAY_ID, merchant_id="m_acme", status=snapshot.status, payment=snapshot)
    return new_envelope(data, producer=PAYMENT, correlation_id=PAY_ID)


def refunded(snapshot, total=None, currency="EUR"):
    data = PaymentRefunded(payment_id=PAY_ID, merchant_id="m_acme", gateway="stripe", refund_id="re_1",
                           amount=1000, currency=currency, total_refunded=total or snapshot.refunded_amount,
                           reason="customer request", payment=snapshot)
    return new_envelope(data, producer=PAYMENT, correlation_id=PAY_ID)


def test_completed_is_indexed_then_announced(index, snapshot):
    published = []
    cause = completed(snapshot())
    result = handlers.on_payment_completed(cause, index, published.append, CHAT)
    assert (result.outcome, result.index, result.stored_version) == ("created", "payments", 7)
    assert index.get("m_acme", PAY_ID).version == 7
    (event,) = published
    assert event.event_type == "payment.indexed"
    assert event.data.model_dump() == {"payment_id": PAY_ID, "merchant_id": "m_acme", "index": "payments",
                                       "document_version": 7}
    assert event.metadata.causation_id == cause.metadata.event_id
    assert event.metadata.correlation_id == PAY_ID
    assert event.metadata.event_id == handlers.indexed_event_id(PAY_ID, 7)
    assert event.metadata.producer == CHAT


def test_a_duplicate_announces_the_same_event_again_a_stale_one_nothing(index, snapshot):
    published = []
    handlers.on_payment_completed(completed(snapshot()), index, published.append, CHAT)
    again = handlers.on_payment_completed(completed(snapshot()), index, published.append, CHAT)
    assert again.outcome == "duplicate"
    assert [e.metadata.event_id for e in published] == [handlers.indexed_event_id(PAY_ID, 7)] * 2

    newer = snapshot(version=9, status="partially_refunded", refunded_amount=1000)
    assert handlers.on_payment_refunded(refunded(newer), index, published.append, CHAT).outcome == "updated"
    stale = handlers.on_payment_completed(completed(snapshot(version=8)), index, published.append, CHAT)
    assert (stale.outcome, stale.stored_version) == ("stale", 9)
    assert [e.data.document_version for e in published] == [7, 7, 9]
    assert index.get("m_acme", PAY_ID).refunded_amount_minor == 1000


@pytest.mark.parametrize(("total", "currency", "reason"), [
    (2000, "EUR", "total_refunded 2000 differs"), (None, "USD", "refund currency USD differs")])
def test_an_inconsistent_refund_is_refused_and_nothing_is_written(index, snapshot, total, currency, reason):
    published = []
    snap = snapshot(version=9, status="partially_refunded", refunded_amount=1000)
    with pytest.raises(InvalidPayment, match=reason):
        handlers.on_payment_refunded(refunded(snap, total, currency), index, published.append, CHAT)
    assert published == [] and index.get("m_acme", PAY_ID) is None


def test_the_indexed_event_id_is_stable_per_version():
    assert handlers.indexed_event_id(PAY_ID, 3) == handlers.indexed_event_id(PAY_ID, 3)
    assert handlers.indexed_event_id(PAY_ID, 3) != handlers.indexed_event_id(PAY_ID, 4)


def test_a_publish_failure_after_the_write_is_healed_by_the_redelivery(index, snapshot):
    """The write landed, the bus call failed: the record fails, its retry finds a duplicate and announces."""
    published = []

    def flaky(envelope):
        if not published:
            published.append(None)
            raise RuntimeError("bus unavailable")
        published.append(envelope)

    cause = completed(snapshot())
    with pytest.raises(RuntimeError, match="bus unavailable"):
        handlers.on_payment_completed(cause, index, flaky, CHAT)
    assert handlers.on_payment_completed(cause, index, flaky, CHAT).outcome == "duplicate"
    assert published[1].metadata.event_id == handlers.indexed_event_id(PAY_ID, 7)
