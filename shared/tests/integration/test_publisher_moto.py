"""EventPublisher against a real moto server: batches, sizes, delivery through a rule."""

import json

import pytest

from smartpay_shared.runtime.publisher import EventPublisher, EventTooLarge
from smartpay_shared.testing import EventListener


def test_twenty_five_events_arrive_through_the_bus(aws, envelope):
    events, sqs = aws("events"), aws("sqs")
    events.create_event_bus(Name="test-bus")
    envelopes = [envelope(f"pay_PUB{i:05d}") for i in range(25)]
    with EventListener(events, sqs, "test-bus") as listener:
        ids = EventPublisher(events, "test-bus").publish(*envelopes)
        seen = listener.wait_for(lambda s: len(s) >= 25)
    assert ids == [e.metadata.event_id for e in envelopes]
    assert sorted(e["detail"]["metadata"]["event_id"] for e in seen) == sorted(ids)
    first = next(e for e in seen if e["detail"]["metadata"]["event_id"] == ids[0])
    assert first["source"] == "smartpay.payment"
    assert first["detail-type"] == "payment.requested"
    assert first["detail"]["data"] == json.loads(envelopes[0].data.model_dump_json())


def test_oversized_event_is_refused_before_the_call(aws, payment_requested, envelope):
    events = aws("events")
    big = envelope()
    huge = big.model_copy(update={"data": payment_requested(metadata={"blob": "y" * 300_000})})
    with pytest.raises(EventTooLarge, match="bus limit"):
        EventPublisher(events, "default").publish(huge)
