"""The card guard (smartpay_shared.card_guard) in front of a real resolver (build_resolver): a card number,
plain or disguised, anywhere in a request (body value or key at any depth, a path parameter, the
raw path, a query string, a header) is a 422 problem naming the field and never the value, and the route
never runs; identifiers, timestamps, amounts and floats pass. Card numbers are built at run time
(pan.luhn_complete), never spelled out."""

from __future__ import annotations

import base64
import json
import logging
import unicodedata
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from smartpay_shared import card_guard, pan, problems
from smartpay_shared.api import build_resolver
from smartpay_shared.runtime.lambda_context import LocalLambdaContext

VISA = pan.luhn_complete("4" + "2" * 14)
AMEX = pan.luhn_complete("37" + "82" * 6)
CARDS = [VISA, AMEX, pan.luhn_complete("5" + "5" * 14), pan.luhn_complete("6011" + "1" * 11),
         pan.luhn_complete("4" + "0" * 11)]  # 13 digits


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int | float = Field(gt=0)
    customer_id: str = Field(max_length=200)
    metadata: dict[str, str] = Field(default_factory=dict)
    lines: list[dict[str, str]] = Field(default_factory=list)


app = build_resolver("card-guard", "0")
ran: list[str] = []  # the routes that ran: a pure fake, read by the tests


@app.post("/orders")
def create(order: Order) -> dict:
    ran.append("create")
    return {"ok": True}


@app.get("/orders/<order_id>")
def read(order_id: str) -> dict:
    ran.append("read")
    return {"order_id": order_id}


def event(method="POST", path="/orders", body=None, *, raw=None, headers=None, query=None, path_params=None,
          resource=None, base64_body=False):
    text = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if base64_body and text is not None:
        text = base64.b64encode(text.encode()).decode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    return {"resource": resource or path, "path": path, "httpMethod": method, "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query, "multiValueQueryStringParameters":
                {k: [v] for k, v in query.items()} if query else None,
            "pathParameters": path_params, "stageVariables": None, "isBase64Encoded": base64_body, "body": text,
            "requestContext": {"resourcePath": resource or path, "httpMethod": method, "stage": "local",
                               "requestId": "req-1", "identity": {"sourceIp": "127.0.0.1"},
                               "authorizer": {"claims": {"custom:merchant_id": "m_acme"}}}}


def call(**kwargs):
    ran.clear()
    result = app.resolve(event(**kwargs), LocalLambdaContext("card-guard"))
    return result["statusCode"], result["body"], json.loads(result["body"])


def order(**fields):
    return {"amount": 1250, "customer_id": "cus_1", **fields}


def digits_echoed(raw: str, number: str) -> bool:
    """Whether any four consecutive digits of `number` appear in the answer, in any script or disguise."""
    seen = pan.normalise(raw)
    return any(number[i:i + 4] in seen for i in range(len(number) - 3))


def assert_refused(status, raw, body, number, locs):
    assert status == 422, raw
    assert body["type"] == problems.TYPE_PREFIX + problems.VALIDATION
    assert [e["loc"] for e in body["errors"]] == locs
    assert all(e["type"] == card_guard.CARD_NUMBER and "input" not in e for e in body["errors"])
    assert not digits_echoed(raw, number) and not pan.contains_pan(raw, in_words=True)
    assert ran == []  # refused before any route


# --- where a card number can hide -------------------------------------------------------------------------

@pytest.mark.parametrize("number", CARDS)
def test_a_body_value_at_any_depth_is_refused(number):
    body = order(customer_id=number, metadata={"note": f"card {number}"}, lines=[{"sku": "a"}, {"sku": number}])
    status, raw, problem = call(body=body)
    assert_refused(status, raw, problem, number, [["body", "customer_id"], ["body", "metadata", "note"],
                                                  ["body", "lines", 1, "sku"]])
    assert problem["errors"][2]["pointer"] == "#/lines/1/sku"


def test_an_object_key_is_refused_and_never_named():
    status, raw, problem = call(body=order(metadata={VISA: "x", "ok": "fine"}))
    assert_refused(status, raw, problem, VISA, [["body", "metadata", pan.REDACTED]])
    assert problem["errors"][0]["detail"] == card_guard.KEY_DETAIL


def test_a_duplicate_key_cannot_hide_the_first_value():
    raw_body = '{"amount": 1250, "customer_id": "%s", "customer_id": "cus_1"}' % VISA
    status, raw, problem = call(raw=raw_body)
    assert_refused(status, raw, problem, VISA, [["body", "customer_id"]])


def test_json_numbers_are_left_to_their_fields():
    """An amount in lamports may be 13-16 digits and pass Luhn: numbers are not strings the guard reads."""
    for literal in (VISA, f"{VISA}.0"):
        assert card_guard.offending_fields(event(raw='{"amount": %s, "customer_id": "cus_1"}' % literal)) == []
    assert card_guard.offending_fields(event(raw='{"amount": 1, "customer_id": %s}' % json.dumps(VISA)))


def test_a_base64_body_and_a_body_that_is_not_json_are_read_too():
    status, raw, problem = call(body=order(customer_id=VISA), base64_body=True)
    assert_refused(status, raw, problem, VISA, [["body", "customer_id"]])
    assert card_guard.offending_fields({"body": f"not json {VISA}"}) == [
        {"loc": ["body"], "type": "card_number", "detail": card_guard.DETAIL}]


def test_a_path_parameter_is_refused_also_percent_encoded_and_the_instance_is_the_template():
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in VISA)
    encoded = "".join(f"%{b:02X}" for b in fullwidth.encode())
    for value in (VISA, f"pay_{VISA}", encoded):
        status, raw, problem = call(method="GET", path=f"/orders/{value}", resource="/orders/{order_id}",
                                    path_params={"order_id": value})
        assert_refused(status, raw, problem, VISA, [["path", "order_id"]])
        assert problem["instance"] == "/orders/{order_id}"


def test_query_names_and_values_are_refused():
    status, raw, problem = call(method="GET", path="/orders/o_1", resource="/orders/{order_id}",
                                path_params={"order_id": "o_1"}, query={"q": f"card {VISA}", VISA: "1"})
    assert_refused(status, raw, problem, VISA, [["query", "q"], ["query", pan.REDACTED]])


def test_headers_are_refused_also_utf8_read_as_latin1():
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in VISA)
    as_wsgi = fullwidth.encode().decode("latin-1")  # how a WSGI server hands UTF-8 header bytes over
    for value in (VISA, "-".join(VISA[i:i + 4] for i in range(0, 16, 4)), as_wsgi):
        status, raw, problem = call(body=order(), headers={"Idempotency-Key": value})
        assert_refused(status, raw, problem, VISA, [["header", "Idempotency-Key"]])


def test_the_log_line_names_fields_never_values(caplog):
    with caplog.at_level(logging.DEBUG):
        call(body=order(customer_id=VISA, metadata={AMEX: "x"}), headers={"Idempotency-Key": VISA})
    assert "customer_id" in caplog.text and "Idempotency-Key" in caplog.text
    assert not digits_echoed(caplog.text, VISA) and not digits_echoed(caplog.text, AMEX)


# --- disguises --------------------------------------------------------------------------------------------

def _in_script(number: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in number)


DISGUISES = {
    "grouped by spaces": lambda n: " ".join(n[i:i + 4] for i in range(0, 16, 4)),
    "grouped by dots": lambda n: ".".join(n[i:i + 4] for i in range(0, 16, 4)),
    "fullwidth": lambda n: _in_script(n, 0xFF10),
    "arabic-indic": lambda n: _in_script(n, 0x0660),
    "devanagari": lambda n: _in_script(n, 0x0966),
    "mathematical bold": lambda n: _in_script(n, 0x1D7CE),
    "zero-width spaces": lambda n: "\u200b".join(n),
    "zero-width joiners": lambda n: "\u200d".join(n),
    "word joiners": lambda n: "\u2060".join(n),
    "byte order marks": lambda n: "\ufeff".join(n),
    "soft hyphens": lambda n: "\u00ad".join(n),
    "no-break spaces": lambda n: "\u00a0".join(n[i:i + 4] for i in range(0, 16, 4)),
    "narrow no-break spaces": lambda n: "\u202f".join(n[i:i + 4] for i in range(0, 16, 4)),
    "ideographic spaces": lambda n: "\u3000".join(n[i:i + 4] for i in range(0, 16, 4)),
    "en dashes": lambda n: "\u2013".join(n[i:i + 4] for i in range(0, 16, 4)),
    "minus signs": lambda n: "\u2212".join(n[i:i + 4] for i in range(0, 16, 4)),
    "keycaps": lambda n: "".join(d + "\ufe0f\u20e3" for d in n),
    "fullwidth, zero-width joined, in text": lambda n: "my card is " + "\u200b".join(_in_script(n, 0xFF10)) + "!",
    "glued to ideographs": lambda n: f"卡号{n}谢谢",
}


@pytest.mark.parametrize("name", sorted(DISGUISES))
def test_every_disguise_is_refused_in_every_place(name):
    written = DISGUISES[name](VISA)
    status, raw, problem = call(body=order(customer_id=written, metadata={written: written}),
                                headers={"Idempotency-Key": written.encode().decode("latin-1")})
    assert_refused(status, raw, problem, VISA, [["body", "customer_id"], ["body", "metadata", pan.REDACTED],
                                                ["header", "Idempotency-Key"]])


# --- what must pass ----------------------------------------------------------------------------------------

LEGIT = ["pay_" + uuid.UUID(int=0x4242424242424242).hex, "pmv_" + "0123456789abcdef" * 2,
         "1a2b3c4d-0000-4242-8424-242424242424", datetime(2026, 12, 1, 11, 22, 33, 123456, tzinfo=UTC).isoformat(),
         "2026-12-01T11:22:33Z", "20261201T113000Z", "0.5473392847560767", "1250.75", "1796124159498",
         "203.0.113.10", "2001:db8::4242:4242", "+49 30 1234567", "order 1234 5678", "ends in 4242",
         "x" + VISA, VISA + "abc", "cus_000042", "Mozilla/5.0 (X11) Chrome/120.0.6099.224 Safari/537.36",
         "١٢٥٠ درهم", VISA[:-1], pan.luhn_complete("1" + "7" * 14), pan.luhn_complete("7" * 15),
         "42 42 42 42 42 42 42 42", "\u200b" + "ok"]


@pytest.mark.parametrize("value", LEGIT)
def test_identifiers_timestamps_amounts_and_floats_pass(value):
    status, raw, _ = call(body=order(customer_id=value, metadata={value: value}),
                          headers={"Idempotency-Key": value.encode().decode("latin-1")})
    assert (status, ran) == (200, ["create"]), raw


def test_float_and_integer_amounts_pass():
    for amount in ("1250", "12.5", "0.5473392847560767", "1e3", "1000000000000"):
        status, raw, _ = call(raw='{"amount": %s, "customer_id": "cus_1"}' % amount)
        assert status == 200, (amount, raw)


@settings(max_examples=200)
@given(st.uuids(), st.datetimes(datetime(2001, 1, 1), datetime(2032, 12, 31), timezones=st.just(UTC)),
       st.floats(0, 1e6, allow_nan=False), st.integers(1, 10**12))
def test_property_generated_ids_timestamps_and_numbers_never_look_like_a_card(u, when, score, amount):
    # Epoch milliseconds start with 1 until 2033 (docs/secrets.md): later ones can be Luhn-valid 2-6 numbers.
    values = [str(u), u.hex, "pay_" + u.hex, "pmv_" + u.hex, when.isoformat(), when.strftime("%Y%m%dT%H%M%SZ"),
              repr(score), str(amount), str(int(when.timestamp() * 1000))]
    fields = card_guard.offending_fields(event(body={f"f{i}": v for i, v in enumerate(values)},
                                               headers={"Idempotency-Key": str(u)}))
    assert fields == []


def test_the_guard_reads_every_unicode_space_and_dash_as_a_separator():
    spaces = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Zs"]
    dashes = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Pd"]
    for sep in spaces + dashes:
        written = sep.join(VISA[i:i + 4] for i in range(0, 16, 4))
        assert card_guard.offending_fields(event(body={"customer_id": written})), hex(ord(sep))
