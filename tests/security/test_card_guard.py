"""Issue #13 item 3: no card number gets into SmartPay through its API, whatever it is typed into and
however it is disguised.

1. The scan's definition (scripts/scan_secrets.py, smartpay_shared.pan) finds every disguise: each
   decimal-digit script, zero-width and other invisible characters between the digits, Unicode spaces and
   dashes between groups, in plain text and in the JSON (once or twice escaped) it reads from storage.
2. Through the gateway (see conftest: real Cognito token of merchant A, the four services' real handlers
   on moto, Redis, localstripe), a generated disguised card number in every string field of every
   operation of the merged /openapi.json (request body fields at any depth, object keys and values,
   path parameters, headers) is refused with a 422 problem naming the field, and the answer holds no
   four digits of the number. Then the project's scan over everything the platform stored (every table,
   queue and bucket of this test's moto server, the bus archive, the chat index, the log lines and output
   of the run) finds nothing, after a legitimate payment, vault enrolment and chat question were stored
   and archived; a negative control planted in a table, a queue and on the bus is found at each place.
3. Legitimate values (ids, uuids, timestamps, amounts, floats) in the same fields are never refused as
   card numbers.

Card numbers are built at run time (pan.luhn_complete); none is spelled out here. Examples per field:
SMARTPAY_CARD_GUARD_EXAMPLES (default 40)."""

from __future__ import annotations

import json
import logging
import os
import unicodedata
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from smartpay_shared import card_guard, pan, problems
from smartpay_shared.testing.cards import card_numbers, grouped

from tests.security.scanner import scan  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("SMARTPAY_CARD_GUARD_EXAMPLES", "40"))
PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "patch", "delete")




# --- disguised card numbers ----------------------------------------------------------------------------------

DECIMAL_ZEROS = [c for c in range(0x110000)
                 if unicodedata.category(chr(c)) == "Nd" and unicodedata.decimal(chr(c)) == 0]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
GROUP_SEPARATORS = [" ", "-", ".", "\u00a0", "\u202f", "\u2007", "\u3000", "\u2002", "\u2013", "\u2014",
                    "\u2212", "\u2011", "\uff0d"]
# Text around a number: no letter or digit right next to it, no "/" (it would split a path into segments).
CONTEXTS = [("", ""), ("card ", ""), ("my card is ", ", thanks"), ("卡号", "。"), ("رقم البطاقة ", ""),
            ("(", ")"), ("n° ", " exp 12 30"), ("'", "'"), ("pay_", ""), ("cus_", "_x")]

pans = card_numbers




@st.composite
def disguised(draw) -> tuple[str, str, str]:
    """(digits, how it is written, a name for the disguise)."""
    digits = draw(pans)
    kind = draw(st.sampled_from(["plain", "grouped", "fullwidth", "script", "mixed scripts", "zero-width",
                                 "nbsp-grouped", "everything"]))
    zeros = [0x30]
    if kind in ("fullwidth", "everything"):
        zeros = [0xFF10]
    elif kind == "script":
        zeros = [draw(st.sampled_from(DECIMAL_ZEROS))]
    elif kind == "mixed scripts":
        zeros = draw(st.lists(st.sampled_from(DECIMAL_ZEROS), min_size=2, max_size=4))
    chars = "".join(chr(zeros[i % len(zeros)] + int(d)) for i, d in enumerate(digits))
    if kind in ("grouped", "everything"):
        chars = grouped(chars, draw(st.sampled_from(GROUP_SEPARATORS)))
    elif kind == "nbsp-grouped":
        chars = grouped(chars, draw(st.sampled_from(["\u00a0", "\u202f"])))
    if kind in ("zero-width", "everything"):
        mark = draw(st.sampled_from(ZERO_WIDTH))
        chars = mark.join(chars) if draw(st.booleans()) else chars[:6] + mark + chars[6:]
    prefix, suffix = draw(st.sampled_from(CONTEXTS))
    return digits, prefix + chars + suffix, kind


def echoes(text: str, digits: str) -> bool:
    """Any four consecutive digits of the number in `text`, read in any script and disguise."""
    seen = pan.normalise(text)
    return any(digits[i:i + 4] in seen for i in range(len(digits) - 3))


# --- 1. the scan finds every disguise (pure) ----------------------------------------------------------------

@pytest.mark.parametrize("zero", DECIMAL_ZEROS, ids=lambda z: f"U+{z:04X}")
def test_the_scan_finds_a_number_in_every_decimal_digit_script(zero):
    digits = pan.luhn_complete("4" + "1" * 14)
    written = "".join(chr(zero + int(d)) for d in digits)
    for text in (f"card {written}", json.dumps({"n": written}), json.dumps(json.dumps({"n": written}))):
        assert scan.find_cards(text) == [digits], text


@pytest.mark.parametrize("mark", ZERO_WIDTH, ids=lambda c: f"U+{ord(c):04X}")
def test_the_scan_finds_digits_joined_by_invisible_characters(mark):
    digits = pan.luhn_complete("5" + "4" * 14)
    for written in (mark.join(digits), mark.join(grouped(digits, " ")), mark.join(chr(0xFF10 + int(d)) for d in digits)):
        stored = json.dumps({"Item": {"customer_id": {"S": written}}})  # as scan_tables reads DynamoDB
        assert scan.find_cards(written) == [digits] == scan.find_cards(stored)


@settings(max_examples=500, deadline=None)
@given(disguised())
def test_property_the_scan_finds_every_generated_disguise_as_stored(case):
    digits, written, _ = case
    scanner = scan.Scanner({})
    for place, text in (("logs", f"INFO customer {written} paid"), ("dynamodb_items", json.dumps({"v": {"S": written}})),
                        ("sqs_messages", json.dumps({"detail": json.dumps({"metadata": {written: "x"}})}))):
        scanner.scan(place, place, text)
    assert [(h.location, h.redacted) for h in scanner.hits] == [
        (place, pan.mask(digits)) for place in ("logs", "dynamodb_items", "sqs_messages")]


# --- 2. every string field of every operation, through the gateway --------------------------------------------

@dataclass(frozen=True)
class Slot:
    """One place a caller can type a string into: `where` is body/path/header; `field` the path to it
    (for the body: keys, `0` for an array item, KEY for a map's key, VALUE for a map's value)."""

    method: str
    path: str
    where: str
    field: tuple

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.where}:{'.'.join(map(str, self.field))}"


KEY, VALUE = "<key>", "<value>"


def _resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _string_fields(schema: dict, doc: dict, at: tuple = (), seen: frozenset = frozenset()) -> set[tuple]:
    ref = schema.get("$ref")
    if ref is not None:
        if ref in seen:
            return set()
        schema, seen = _resolve(schema, doc), seen | {ref}
    found: set[tuple] = set()
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        found |= _string_fields(branch, doc, at, seen)
    kinds = schema.get("type") if isinstance(schema.get("type"), list) else [schema.get("type")]
    if "string" in kinds or ("enum" in schema and all(isinstance(v, str) for v in schema["enum"])):
        found.add(at)
    for name, member in schema.get("properties", {}).items():
        found |= _string_fields(member, doc, (*at, name), seen)
    maps = list(schema.get("patternProperties", {}).values())
    if schema.get("additionalProperties") not in (None, False):
        extra = schema["additionalProperties"]
        maps.append(extra if isinstance(extra, dict) else {"type": "string"})
    for values in maps:  # a map (metadata, gateway_tokens): its keys are strings the caller types too
        found.add((*at, KEY))
        found |= _string_fields(values, doc, (*at, VALUE), seen)
    if "items" in schema:
        found |= _string_fields(schema["items"], doc, (*at, 0), seen)
    return found


def slots_of(doc: dict) -> list[Slot]:
    slots = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for param in operation.get("parameters", []):
                if param["in"] in ("path", "header", "query"):
                    slots.append(Slot(method, path, param["in"], (param["name"],)))
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            if body:
                slots += [Slot(method, path, "body", f) for f in sorted(_string_fields(body["schema"], doc), key=str)]
    return slots


# A valid request body per operation: the probe replaces one field in it, so that without the guard the
# request would be accepted and stored wherever the service's own validation lets the text through.
VALID_BODIES = {
    ("post", "/pay"): lambda p: {
        "amount": 1250, "currency": "USD", "customer_id": "cus_cg_1", "country": "US", "device_id": "dev_cg_1",
        "ip_address": "203.0.113.10", "merchant_category": "5734", "metadata": {"order": "A-1042"},
        "payment_method": {"type": "card", "token": p.state["card"], "last4": "4242", "brand": "visa"}},
    ("post", "/fraud"): lambda p: {
        "amount": 4200, "currency": "EUR", "customer_id": "cus_cg_1", "country": "DE", "device_id": "dev_cg_1",
        "ip_address": "203.0.113.10", "merchant_category": "5734", "payment_id": f"pay_{uuid.uuid4().hex}",
        "payment_method": {"type": "card", "token": "pm_card_visa"}},
    ("post", "/route"): lambda p: {"amount": 4200, "currency": "EUR", "payment_method": "card", "country": "DE",
                                   "merchant_category": "5734", "risk_score": 0.2, "excluded_gateways": ["solana"]},
    ("post", "/payments/{payment_id}/refund"): lambda p: {"amount": 1, "reason": "requested_by_customer"},
    ("post", "/payment-methods"): lambda p: {"type": "card", "customer_id": "cus_cg_1",
                                             "gateway_tokens": {"stripe": p.state["card"]}},
    ("post", "/chat"): lambda p: {"question": "approval rate by gateway this week", "session_id": "s_card_guard_1"},
    ("post", "/payments/{payment_id}/disputes"): lambda p: {"reason": "fraudulent", "amount": 1},
    ("post", "/fraud/reports"): lambda p: {"payment_id": f"pay_{uuid.uuid4().hex}", "reason": "stolen_card"},
    ("post", "/webhook-endpoints"): lambda p: {"url": "http://127.0.0.1:9/hook", "event_types": ["payment.captured"],
                                               "description": "shop"},
    ("patch", "/webhook-endpoints/{endpoint_id}"): lambda p: {"url": "http://127.0.0.1:9/hook2", "description": "new"},
    ("delete", "/webhook-endpoints/{endpoint_id}"): lambda p: None,
    ("post", "/webhook-endpoints/{endpoint_id}/disable"): lambda p: None,
    ("post", "/webhook-endpoints/{endpoint_id}/rotate-secret"): lambda p: None,
    ("post", "/webhook-endpoints/{endpoint_id}/test"): lambda p: None,
    ("post", "/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/resend"): lambda p: None,
    ("post", "/webhook-endpoints/{endpoint_id}/resend"): lambda p: {"since": "2026-01-01T00:00:00Z"},
    ("post", "/rewards/{customer_id}/wallet/challenge"): lambda p: {"wallet": str(p.state["rewards_wallet"].pubkey())},
    ("post", "/rewards/{customer_id}/wallet"): lambda p: {"nonce": "n_card_guard_1", "signature": "1" * 64},
    ("post", "/rewards/{customer_id}/redeem"): lambda p: {"points": 1, "asset": "SOL", "slippage_bps": 100},
}


def _with(value: Any, field: tuple, text: str) -> Any:
    """`value` (a valid body) with the field at `field` holding `text` (a map gets it as a key, or as the
    value of a new member "note"; an array as its first item)."""
    if not field:
        return text
    head, rest = field[0], field[1:]
    if head == 0:
        items = list(value) if isinstance(value, list) else []
        return [_with(items[0] if items else None, rest, text), *items[1:]]
    found = dict(value) if isinstance(value, dict) else {}
    if head == KEY:
        return {**found, text: next(iter(found.values()), "x")}
    name = "note" if head == VALUE else head
    found[name] = _with(found.get(name), rest, text)
    return found


def canonical(loc: list) -> list:
    return [loc[0], *(str(p).lower() for p in loc[1:])] if loc and loc[0] == "header" else loc


def expected_loc(slot: Slot) -> list:
    if slot.where != "body":
        return canonical([slot.where, slot.field[0]])
    loc = ["body"]
    for part in slot.field:
        loc.append(pan.REDACTED if part == KEY else "note" if part == VALUE else part)
    return loc


def request_for(platform, slot: Slot, text: str) -> tuple[str, dict]:
    """A valid request of merchant A for the slot's operation, with `text` in the slot. A refund names a
    payment that does not exist (404 when it gets through): the session's captured payment and its refund
    total belong to the isolation matrix."""
    payment = platform.state["payment_a"] if slot.method == "get" else f"pay_{uuid.uuid4().hex}"
    ids = {"payment_id": payment, "vault_id": vault_of(platform), "customer_id": "c_1"}
    if "{endpoint_id}" in slot.path:
        ids.update(webhook_ids(platform))
    params = {}
    for name in (p.strip("{}") for p in slot.path.split("/") if p.startswith("{")):
        params[name] = quote(text, safe="") if slot.where == "path" and slot.field[0] == name else ids[name]
    headers = {"Authorization": f"Bearer {platform.tokens['merchant_a']}", "Idempotency-Key": f"cg-{uuid.uuid4().hex}"}
    if slot.where == "header":
        # What a WSGI server hands over for UTF-8 header bytes: Latin-1 characters.
        headers = {k: v for k, v in headers.items() if k.lower() != slot.field[0].lower()}
        headers[slot.field[0]] = text.encode().decode("latin-1")
    query = {slot.field[0]: text} if slot.where == "query" else None
    kwargs: dict[str, Any] = {"headers": headers, "query_string": query}
    if slot.method != "get":
        assert (slot.method, slot.path) in VALID_BODIES, f"add a valid body for {slot.method} {slot.path}"
        body = VALID_BODIES[(slot.method, slot.path)](platform)
        kwargs["json"] = _with(body, slot.field, text) if slot.where == "body" else body
    return slot.path.format(**params), kwargs


def header_text(response) -> str:
    return "\n".join(f"{k}: {v}" for k, v in response.headers.items()
                     if k.lower() not in ("x-amzn-requestid", "content-length"))


@pytest.fixture(scope="module")
def openapi(platform):
    response = Client(platform.gateway).get("/openapi.json")
    assert response.status_code == 200
    return response.json


@pytest.fixture(scope="module")
def aws(platform):
    url = platform.state["moto"].url
    return lambda name: boto3.client(name, endpoint_url=url, region_name="us-east-1")


@pytest.fixture(scope="module")
def archived_bus(aws):
    """Every event put on the platform's buses from now on is archived, so the scan can read the bus."""
    events = aws("events")
    names = []
    for bus in events.list_event_buses()["EventBuses"]:
        name = f"card-guard-{uuid.uuid4().hex[:8]}"
        events.create_archive(ArchiveName=name, EventSourceArn=bus["Arn"])
        names.append((name, bus["Name"]))
    yield names
    for name, _ in names:
        events.delete_archive(ArchiveName=name)


def call(platform, method: str, path: str, **kwargs):
    return Client(platform.gateway).open(path, method=method.upper(), **kwargs)


def vault_of(platform) -> str:
    """A card enrolled in merchant A's vault (once), for the vault's path parameter."""
    if "card_guard_vault" not in platform.state:
        response = call(platform, "post", "/payment-methods",
                        headers={"Authorization": f"Bearer {platform.tokens['merchant_a']}"},
                        json={"customer_id": "cus_cg_vault", "gateway_tokens": {"stripe": platform.state["card"]}})
        assert response.status_code == 201, response.get_data(as_text=True)
        platform.state["card_guard_vault"] = response.json["vault_id"]
    return platform.state["card_guard_vault"]


def webhook_ids(platform) -> dict[str, str]:
    """Merchant A's webhook endpoint and a delivery of it (once), for the webhooks routes' path parameters."""
    if "card_guard_hook" not in platform.state:
        auth = {"Authorization": f"Bearer {platform.tokens['merchant_a']}"}
        response = call(platform, "post", "/webhook-endpoints", headers=auth,
                        json={"url": "http://127.0.0.1:9/hook", "event_types": ["payment.captured"]})
        assert response.status_code == 201, response.get_data(as_text=True)
        endpoint_id = response.json["endpoint_id"]
        response = call(platform, "post", f"/webhook-endpoints/{endpoint_id}/test", headers=auth)
        assert response.status_code == 202, response.get_data(as_text=True)
        platform.state["card_guard_hook"] = {"endpoint_id": endpoint_id, "delivery_id": response.json["delivery_id"]}
    return platform.state["card_guard_hook"]


def legitimate_traffic(platform) -> None:
    """A payment, a vault enrolment and a chat question with real-looking ids and text: stored,
    published and archived, and not a card number anywhere (what the scan must also read as clean)."""
    auth = {"Authorization": f"Bearer {platform.tokens['merchant_a']}"}
    pay = {"amount": 1250, "currency": "USD", "customer_id": f"cus_{uuid.uuid4().hex[:12]}", "country": "US",
           "device_id": str(uuid.uuid4()), "ip_address": "203.0.113.10", "merchant_category": "5734",
           "metadata": {"order": "A-1042", "placed_at": "2026-12-01T11:22:33.123456+00:00", "score": "0.5473392847560767"},
           "payment_method": {"type": "card", "token": platform.state["card"]}}
    response = call(platform, "post", "/pay", json=pay, headers={**auth, "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 202, response.get_data(as_text=True)
    vault_of(platform)
    response = call(platform, "post", "/chat", headers=auth, json={
        "question": "approval rate by gateway this week", "session_id": f"s_{uuid.uuid4().hex}"})
    assert response.status_code == 200, response.get_data(as_text=True)


def scan_platform(aws, captured: list[str]) -> Any:
    """The project's scan over what this test's platform keeps, and over the run's log lines and output."""
    scanner = scan.Scanner({})
    scan.scan_tables(scanner, aws("dynamodb"))
    scan.scan_queues(scanner, aws("sqs"))
    scan.scan_archive(scanner, aws("events"), aws("sqs"))
    scan.scan_buckets(scanner, aws("s3"))
    scan.scan_log_groups(scanner, aws("logs"))
    if os.environ.get("CHAT_INDEX_PATH") and Path(os.environ["CHAT_INDEX_PATH"]).exists():
        scan.scan_duckdb(scanner, Path(os.environ["CHAT_INDEX_PATH"]))
    for n, line in enumerate(captured, 1):
        scanner.scan("logs", f"captured:{n}", line)
    return scanner


@pytest.mark.integration
def test_every_string_field_refuses_every_disguise_and_nothing_is_stored(platform, openapi, aws, archived_bus,
                                                                         caplog, capfd):
    slots = slots_of(openapi)
    # The document has fields in every place a caller types into: a body, a map's keys, a path, a header.
    assert {s.where for s in slots} >= {"body", "path", "header"}
    assert any(s.field and s.field[-1] == KEY for s in slots), "no map (metadata) in the document"
    caplog.set_level(logging.DEBUG)
    legitimate_traffic(platform)
    sent: dict[str, int] = {}

    def probe_for(slot: Slot):
        @given(case=disguised())
        @seed(zlib.crc32(str(slot).encode()))  # reproducible, and different examples for each field
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=False, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        def probe(case):
            digits, written, kind = case
            path, kwargs = request_for(platform, slot, written)
            response = call(platform, slot.method, path, **kwargs)
            text = response.get_data(as_text=True)
            assert response.status_code == 422, f"{slot} {kind}: {response.status_code} {text[:300]}"
            body = response.json
            assert response.content_type == PROBLEM and body["type"] == problems.TYPE_PREFIX + problems.VALIDATION
            assert [canonical(e["loc"]) for e in body["errors"]] == [expected_loc(slot)], f"{slot} {kind}: {body}"
            assert body["errors"][0]["type"] == card_guard.CARD_NUMBER
            answer = text.replace(body.get("request_id", "-"), "") + "\n" + header_text(response)
            assert not echoes(answer, digits) and not pan.contains_pan(answer, in_words=True), f"{slot} {kind}"
            sent[kind] = sent.get(kind, 0) + 1

        return probe

    for slot in slots:
        probe_for(slot)()

    out, err = capfd.readouterr()
    captured = [r.getMessage() for r in caplog.records] + out.splitlines() + err.splitlines()
    scanner = scan_platform(aws, captured)
    print(f"card guard: {sum(sent.values())} disguised numbers into {len(slots)} fields, refused each; "
          f"by disguise {dict(sorted(sent.items()))}; scan: {dict(scanner.scanned)}, hits {len(scanner.hits)}")
    assert [(h.location, h.redacted) for h in scanner.hits] == []
    assert scanner.errors == []
    # The scan read real data: the legitimate payment's items and events (an empty scan proves nothing).
    assert scanner.scanned["dynamodb_items"] > 0 and scanner.scanned["archive_events"] > 0
    assert scanner.scanned["logs"] > sum(sent.values())  # at least one access line per request
    assert sum(sent.values()) >= len(slots) * min(EXAMPLES, 8)

    # Negative control: the same scan finds a disguised number planted in a table, a queue and on the bus.
    digits = pan.luhn_complete("4" + "3" * 14)
    planted = "\u200b".join(chr(0xFF10 + int(d)) for d in digits)
    table, queue_name = f"card-guard-{uuid.uuid4().hex[:8]}", f"card-guard-{uuid.uuid4().hex[:8]}"
    dynamodb, sqs, events = aws("dynamodb"), aws("sqs"), aws("events")
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    queue = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    try:
        dynamodb.put_item(TableName=table, Item={"pk": {"S": "planted"}, "customer_id": {"S": planted}})
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"metadata": {"note": planted}}))
        bus = archived_bus[0][1]
        events.put_events(Entries=[{"EventBusName": bus, "Source": "card-guard", "DetailType": "planted",
                                    "Detail": json.dumps({"device_id": planted})}])
        control = scan_platform(aws, [])
        places = sorted({h.location.split(" ")[0] for h in control.hits})
        assert places == ["archive", "dynamodb", "sqs"], [(h.location, h.redacted) for h in control.hits]
        assert {h.redacted for h in control.hits} == {pan.mask(digits)}
    finally:
        dynamodb.delete_table(TableName=table)
        sqs.delete_queue(QueueUrl=queue)


# --- 3. no false positives through the gateway ---------------------------------------------------------------

legitimate = st.one_of(
    st.uuids().map(str), st.uuids().map(lambda u: "pay_" + u.hex), st.uuids().map(lambda u: "pmv_" + u.hex),
    st.uuids().map(lambda u: "cus_" + u.hex[:12]),
    st.datetimes(datetime(2001, 1, 1), datetime(2032, 12, 31)).map(lambda d: d.isoformat() + "Z"),
    st.integers(1, 10**12).map(str), st.floats(0, 1, allow_nan=False).map(repr),
    st.decimals(0, 10**9, places=2).map(str), st.sampled_from(["203.0.113.10", "2001:db8::4242", "+49 30 1234567",
                                                               "order A-1042", "4242", "ends in 4242"]))


@pytest.mark.integration
def test_legitimate_values_in_every_string_field_are_never_refused_as_card_numbers(platform, openapi):
    slots = slots_of(openapi)
    checked = 0
    def probe_for(slot: Slot):
        @given(value=legitimate)
        @seed(zlib.crc32(str(slot).encode()))
        @settings(max_examples=max(5, EXAMPLES // 4), deadline=None, derandomize=False, database=None)
        def probe(value):
            nonlocal checked
            path, kwargs = request_for(platform, slot, value)
            response = call(platform, slot.method, path, **kwargs)
            errors = response.json.get("errors", []) if response.content_type == PROBLEM else []
            assert not [e for e in errors if e.get("type") == card_guard.CARD_NUMBER], (str(slot), value, errors)
            checked += 1

        return probe

    for slot in slots:
        probe_for(slot)()
    assert checked >= len(slots) * 5
