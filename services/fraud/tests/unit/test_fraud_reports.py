"""POST /fraud/reports' use case over fakes: the same report again is the same report and event id, also when the
caller leaves known_at out (it means "now", and a retry comes a moment later); an explicit known_at is part of it."""

from datetime import UTC, datetime, timedelta

import pytest

from smartpay_fraud.domain.errors import InvalidLabel, UnknownPayment
from smartpay_fraud.service_layer.labels import report_fraud
from smartpay_shared.events import Producer

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PRODUCER = Producer(service="fraud", version="0.0.0")


class Store:
    """Scored payments by transaction id, at a millisecond time."""

    def __init__(self, scored: dict[str, int]):
        self.scored = scored

    def scored_at(self, merchant_id: str, txn_id: str) -> int | None:
        return self.scored.get(txn_id)


class Publisher:
    def __init__(self):
        self.published = []

    def publish(self, envelope):
        self.published.append(envelope)


@pytest.fixture
def store():
    paid = int((NOW - timedelta(days=3)).timestamp() * 1000)
    return Store({"m_a:pay_reported01": paid})


def test_a_retry_without_known_at_is_the_same_report(store):
    out = Publisher()
    first = report_fraud(store, out, PRODUCER, "m_a", "pay_reported01", "stolen_card", None, NOW)
    again = report_fraud(store, out, PRODUCER, "m_a", "pay_reported01", "stolen_card", None, NOW + timedelta(seconds=4))
    assert first.data.known_at == NOW
    assert again.data.report_id == first.data.report_id and again.metadata.event_id == first.metadata.event_id
    stated = report_fraud(store, out, PRODUCER, "m_a", "pay_reported01", "stolen_card", NOW - timedelta(days=1), NOW)
    assert stated.data.report_id != first.data.report_id  # a stated moment is another report
    assert report_fraud(store, out, PRODUCER, "m_a", "pay_reported01", "stolen_card", NOW - timedelta(days=1),
                        NOW).metadata.event_id == stated.metadata.event_id
    assert len(out.published) == 4  # each call publishes; the consumer drops the repeated event ids


def test_unknown_payments_and_impossible_moments_are_refused_before_publishing(store):
    out = Publisher()
    with pytest.raises(UnknownPayment):
        report_fraud(store, out, PRODUCER, "m_b", "pay_reported01", "stolen_card", None, NOW)  # A's payment
    with pytest.raises(InvalidLabel):
        report_fraud(store, out, PRODUCER, "m_a", "pay_reported01", "stolen_card", NOW - timedelta(days=5), NOW)
    with pytest.raises(InvalidLabel):
        report_fraud(store, out, PRODUCER, "m_a", "pay_reported01", "stolen_card", NOW + timedelta(hours=1), NOW)
    assert out.published == []
