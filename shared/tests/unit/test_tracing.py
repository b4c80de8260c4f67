"""Trace headers and the per-event subsegment: a no-op without a segment, annotated inside one."""

import json
import logging

import pytest
from aws_xray_sdk.core import xray_recorder

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested
from smartpay_shared.runtime import tracing

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
PARENT = "53995c3f42cd8ad8"


class InMemoryEmitter:
    def __init__(self):
        self.documents = []

    def send_entity(self, entity):
        self.documents.append(json.loads(entity.serialize()))


@pytest.fixture
def emitter(monkeypatch):
    # A service module's Powertools Tracer, imported earlier in the session, may have switched the
    # SDK off (it does outside Lambda); these tests are about the SDK being on.
    from aws_xray_sdk import global_sdk_config

    enabled = global_sdk_config.sdk_enabled()
    global_sdk_config.set_sdk_enabled(True)
    fake = InMemoryEmitter()
    monkeypatch.setattr(xray_recorder, "emitter", fake)
    yield fake
    xray_recorder.clear_trace_entities()
    global_sdk_config.set_sdk_enabled(enabled)


def envelope(trace_header=None):
    data = PaymentRequested(
        payment_id="pay_abcdefgh12", merchant_id="m_1", amount=1250, currency="EUR",
        payment_method=PaymentMethod(type="card", token="tok_visa"), customer_id="cus_1",
    )
    return new_envelope(data, producer=Producer(service="payment", version="1.0.0"),
                        correlation_id=data.payment_id, trace_header=trace_header)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Root={ROOT};Parent={PARENT};Sampled=1", {"Root": ROOT, "Parent": PARENT, "Sampled": "1"}),
        (f" Root={ROOT} ; Sampled=0 ", {"Root": ROOT, "Sampled": "0"}),
        (f"Root={ROOT};Lineage=a87bd80c:1|68fd508a:5", {"Root": ROOT, "Lineage": "a87bd80c:1|68fd508a:5"}),
        ("garbage;=x;;Root", {}),
        ("", {}),
        (None, {}),
    ],
)
def test_parse_trace_header(header, expected):
    assert tracing.parse_trace_header(header) == expected


def test_format_trace_header_round_trips():
    header = tracing.format_trace_header(ROOT, PARENT, True)
    assert header == f"Root={ROOT};Parent={PARENT};Sampled=1"
    assert tracing.parse_trace_header(header) == {"Root": ROOT, "Parent": PARENT, "Sampled": "1"}
    assert tracing.format_trace_header(ROOT, None, False) == f"Root={ROOT};Sampled=0"


def test_without_a_segment_tracing_is_silent_no_op(caplog):
    caplog.set_level(logging.DEBUG, logger="aws_xray_sdk")
    ran = []
    with tracing.subsegment("handle payment.requested", envelope()):
        ran.append(tracing.current_trace_header())
    assert ran == [None]
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_without_a_segment_the_handler_error_passes_through():
    with pytest.raises(ZeroDivisionError), tracing.subsegment("handle", envelope()):
        1 / 0


def test_subsegment_is_annotated_and_continues_the_trace(emitter):
    event = envelope(f"Root={ROOT};Parent={PARENT};Sampled=1")
    segment = xray_recorder.begin_segment("fn", traceid=ROOT, parent_id=PARENT, sampling=1)
    with tracing.subsegment("handle payment.requested", event):
        inside = tracing.current_trace_header()
        sub_id = xray_recorder.current_subsegment().id
    after = tracing.current_trace_header()
    xray_recorder.end_segment()

    assert inside == f"Root={ROOT};Parent={sub_id};Sampled=1"
    assert after == f"Root={ROOT};Parent={segment.id};Sampled=1"
    [document] = emitter.documents
    [sub] = document["subsegments"]
    assert sub["id"] == sub_id
    assert sub["annotations"] == {"correlation_id": "pay_abcdefgh12", "event_type": "payment.requested"}
    assert sub["metadata"]["smartpay"]["event_id"] == event.metadata.event_id


def test_subsegment_records_the_exception_and_reraises(emitter):
    xray_recorder.begin_segment("fn", sampling=1)
    with pytest.raises(ValueError, match="boom"), tracing.subsegment("handle", envelope()):
        raise ValueError("boom")
    xray_recorder.end_segment()
    [sub] = emitter.documents[0]["subsegments"]
    assert sub["fault"] is True
    assert sub["cause"]["exceptions"][0]["message"] == "boom"
