"""Envelope, catalog and parsing of bus events."""

import json

import pytest

from smartpay_shared.events import CATALOG, InvalidEvent, parse_bus_event, parse_sqs_body
from smartpay_shared.events.envelope import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentDeclined
from smartpay_shared.testing import to_bus_event as bus_event


def test_round_trip_keeps_metadata_and_typed_data(envelope):
    original = envelope(idempotency_key="idem-1", trace_header="Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
    _, parsed = parse_bus_event(bus_event(original))
    assert parsed == original
    assert parsed.data.amount == 1999
    assert parsed.metadata.schema_version == CATALOG["payment.requested"].schema_version


def test_caused_event_links_causation_and_inherits_trace(envelope):
    cause = envelope(trace_header="Root=1-abc;Parent=def;Sampled=1")
    effect = new_envelope(
        PaymentDeclined(payment_id=cause.data.payment_id, merchant_id="m_acme", stage="fraud", code="high_risk",
                        reason="score 0.97"),
        producer=Producer(service="payment", version="0.1.0"),
        correlation_id=cause.metadata.correlation_id,
        causation=cause.metadata,
    )
    assert effect.metadata.causation_id == cause.metadata.event_id
    assert effect.metadata.trace_header == cause.metadata.trace_header
    assert effect.metadata.event_type == "payment.declined"


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda e: e.update({"detail-type": "payment.exploded"}), "not in the catalog"),
        (lambda e: e.update({"source": "evil.service"}), "not a SmartPay service"),
        (lambda e: e.update({"source": "smartpay.fraud"}), "differs from producer"),
        (lambda e: e["detail"].pop("metadata"), "exactly 'metadata' and 'data'"),
        (lambda e: e["detail"]["data"].update({"amount": -5}), "data: amount: Input should be greater than 0"),
        (lambda e: e["detail"]["data"].update({"currency": "euro"}), "currency"),
        (lambda e: e["detail"]["data"].update({"card_number": "4242424242424242"}), "card_number"),
        (lambda e: e["detail"]["metadata"].update({"schema_version": "2.0"}), "not readable"),
        (lambda e: e["detail"]["metadata"].update({"correlation_id": "pay_OTHER0001"}), "payment id"),
        (lambda e: e["detail"]["metadata"].update({"event_type": "fraud.assessed"}), "differs from detail-type"),
        (lambda e: e.pop("id"), "not an EventBridge event"),
    ],
)
def test_invalid_events_are_rejected_with_a_reason(envelope, mutate, reason):
    event = bus_event(envelope())
    mutate(event)
    with pytest.raises(InvalidEvent, match=reason):
        parse_bus_event(event)


def test_non_json_body_is_invalid():
    with pytest.raises(InvalidEvent, match="not JSON"):
        parse_sqs_body("{nope")


def test_minor_schema_versions_are_readable(envelope):
    event = bus_event(envelope())
    event["detail"]["metadata"]["schema_version"] = "1.7"
    _, parsed = parse_sqs_body(json.dumps(event))
    assert parsed.metadata.schema_version == "1.7"


_MAJOR, _MINOR = CATALOG["payment.requested"].schema_version.split(".")
NEWER_MINOR = f"{_MAJOR}.{int(_MINOR) + 1}"


def test_a_newer_minor_version_may_add_fields_an_older_consumer_ignores(envelope):
    """Services are versioned apart: a producer on schema 1.1 adds optional fields, a consumer on 1.0 reads
    what it knows (nested models included) and ignores the rest."""
    event = bus_event(envelope())
    event["detail"]["metadata"]["schema_version"] = NEWER_MINOR
    event["detail"]["data"]["loyalty_tier"] = "gold"
    event["detail"]["data"]["payment_method"]["network_token"] = "ntk_123"
    _, parsed = parse_bus_event(event)
    assert parsed.data.amount == 1999 and parsed.data.payment_method.type == "card"
    assert "loyalty_tier" not in parsed.data.model_dump()


def test_unknown_fields_are_still_refused_within_one_version_and_never_hide_a_card_number(envelope):
    same = bus_event(envelope())
    same["detail"]["data"]["loyalty_tier"] = "gold"
    with pytest.raises(InvalidEvent, match="loyalty_tier"):
        parse_bus_event(same)
    newer = bus_event(envelope())
    newer["detail"]["metadata"]["schema_version"] = NEWER_MINOR
    newer["detail"]["data"]["payment_method"]["pan"] = "4242 4242 4242 4242"
    with pytest.raises(InvalidEvent, match="card number") as refused:
        parse_bus_event(newer)
    assert "4242" not in str(refused.value)
