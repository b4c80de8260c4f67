"""Property-based tests (hypothesis) of the envelope parser: every valid event round-trips; any
mutation of a valid event, and any SQS body at all, is either an event or an InvalidEvent (never
another exception: the worker would crash instead of failing the record to its DLQ); and no
InvalidEvent reason ever quotes a card number that landed in the event."""

import copy
import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartpay_shared.money import CURRENCIES, MAX_MINOR_UNITS
from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.parsing import InvalidEvent, parse_bus_event, parse_sqs_body
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested
from smartpay_shared.testing import to_bus_event

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAN = "4111111111111111"

ids = st.from_regex(r"\Apay_[A-Za-z0-9]{8,40}\Z")
merchants = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")
tokens = st.from_regex(r"\A[A-Za-z0-9_:.-]{1,128}\Z")
short_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=64)


@st.composite
def payment_requested(draw):
    return PaymentRequested(
        payment_id=draw(ids), merchant_id=draw(merchants), amount=draw(st.integers(1, MAX_MINOR_UNITS)),
        currency=draw(st.sampled_from(CURRENCIES)),
        payment_method=PaymentMethod(type=draw(st.sampled_from(["card", "amazon_pay", "solana_wallet"])),
                                     token=draw(tokens), last4=draw(st.none() | st.from_regex(r"\A\d{4}\Z")),
                                     brand=draw(st.none() | st.text(max_size=32))),
        customer_id=draw(short_text), device_id=draw(st.none() | st.text(max_size=128)),
        country=draw(st.none() | st.from_regex(r"\A[A-Z]{2}\Z")),
        metadata=draw(st.dictionaries(st.text(max_size=20), st.text(max_size=40), max_size=5)))


@st.composite
def envelopes(draw):
    data = draw(payment_requested())
    return new_envelope(
        data, producer=Producer(service="payment", version=draw(st.from_regex(r"\A\d{1,3}\.\d{1,3}\.\d{1,3}\Z"))),
        correlation_id=data.payment_id, idempotency_key=draw(st.none() | st.text(min_size=1, max_size=256)),
        trace_header=draw(st.none() | st.from_regex(r"\ARoot=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=[01]\Z")),
        occurred_at=draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                                      timezones=st.just(UTC))))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10)


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from paths(value, (*prefix, i))


def replaced(event, path, value, *, delete=False):
    out = copy.deepcopy(event)
    if not path:
        return value
    node = out
    for part in path[:-1]:
        node = node[part]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


@FAST
@given(envelopes())
def test_every_valid_event_round_trips(envelope):
    event = json.loads(json.dumps(to_bus_event(envelope)))  # what SQS really carries
    parsed_event, parsed = parse_bus_event(event)
    assert parsed.metadata == envelope.metadata
    assert parsed.data == envelope.data
    assert parsed_event.detail_type == envelope.event_type


@FAST
@given(envelopes(), st.data())
def test_any_mutation_is_an_event_or_an_invalid_event(envelope, data):
    event = json.loads(json.dumps(to_bus_event(envelope)))
    path = data.draw(st.sampled_from(list(paths(event))))
    mutated = replaced(event, path, data.draw(json_values), delete=data.draw(st.booleans()))
    try:
        parse_bus_event(mutated)
    except InvalidEvent as e:
        assert str(e)  # a reason for the DLQ log line


@FAST
@given(envelopes(), st.data())
def test_no_reason_quotes_a_card_number_put_anywhere(envelope, data):
    event = json.loads(json.dumps(to_bus_event(envelope)))
    leaves = [p for p in paths(event) if p and p[0] == "detail" and not isinstance(_at(event, p), dict | list)]
    path = data.draw(st.sampled_from(leaves))
    spot = data.draw(st.sampled_from([PAN, f"x{PAN}", int(PAN), f"{PAN[:4]} {PAN[4:8]} {PAN[8:12]} {PAN[12:]}"]))
    try:
        parse_bus_event(replaced(event, path, spot))
    except InvalidEvent as e:
        assert PAN not in str(e).replace(" ", "")
        assert e.__cause__ is None or PAN not in str(e.__cause__)


def _at(node, path):
    for part in path:
        node = node[part]
    return node


@FAST
@given(st.text(max_size=200) | json_values.map(json.dumps))
def test_any_sqs_body_is_an_event_or_an_invalid_event(body):
    try:
        parse_sqs_body(body)
    except InvalidEvent:
        pass
