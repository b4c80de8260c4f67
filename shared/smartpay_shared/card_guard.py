"""The one card-number guard every SmartPay API runs before any route (issue #13): no string a caller
sends may hold a card number, wherever it is, so none is ever stored, published, logged or echoed.

What it reads, from the Lambda proxy event (API Gateway REST, as the local gateway builds it too):
- the JSON body: every string value and every object key at any depth (metadata keys and values
  included), duplicate keys included; a body that is not JSON is read as one text. JSON numbers are not
  strings and are left to their fields' limits: an amount in lamports or micro-USDC can legitimately have
  13-16 digits, and one in ten of those passes Luhn;
- path parameters and, when none of them is to blame, the raw path;
- query string parameters: names and values, single and multi-value;
- headers: names and values, single and multi-value (Idempotency-Key is stored with the payment).
Path, query and header strings are read as written, percent-decoded and, when a server handed UTF-8
bytes over as Latin-1 (WSGI does so for headers), as UTF-8.

What a card number is, is `smartpay_shared.pan` (the same definition as the secret scan's), on the text
as a reader sees it: fullwidth and other-script digits, zero-width characters, soft hyphens, Unicode
spaces and dashes cannot disguise one. Identifiers (`pay_...`, hex vault ids, uuids), timestamps,
amounts and floats are not card numbers by that definition and pass.

A request holding one is refused with 422 (`urn:smartpay:problem:validation-error`): one `errors`
entry per offending field with its `loc` (and `pointer` for the body), never the value; a `loc` segment
that is itself a card number (an object key, a header or parameter name) is `<redacted>`. The log line
names the fields the same way."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from smartpay_shared import pan, problems

CARD_NUMBER = "card_number"
MAX_ERRORS = 50
DETAIL = "holds a card number: SmartPay never takes one (send the gateway's token); the value is not repeated"
KEY_DETAIL = "this member's name holds a card number; the name is not repeated"

log = logging.getLogger("smartpay.api")


def request_problem(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """A 422 problem proxy result when any string the request carries is or holds a card number, else None."""
    errors = offending_fields(event)
    if not errors:
        return None
    shown = errors[:MAX_ERRORS]
    detail = problems.validation_detail(shown)
    if len(errors) > len(shown):
        detail += f" (and {len(errors) - len(shown)} more)"
    detail += ": a card number is never accepted; send the gateway's token"
    log.warning("refused a request holding a card number in %s", ", ".join(
        ".".join(str(p) for p in e["loc"]) for e in shown))
    body = problems.problem(422, detail, kind=problems.VALIDATION, errors=shown)
    return {"statusCode": 422, "headers": {"Content-Type": problems.PROBLEM_JSON},
            "body": problems.dumps(body), "isBase64Encoded": False}


def offending_fields(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The `errors` entries (smartpay_shared.problems.field_error shape) of every place in the request
    that holds a card number; empty when there is none."""
    if not isinstance(event, Mapping):
        return []
    found: dict[tuple, dict[str, Any]] = {}
    for loc, is_key in _card_locations(event):
        key = tuple(str(p).lower() if loc[0] == "header" else p for p in loc)
        if key not in found:
            message = KEY_DETAIL if is_key else DETAIL
            found[key] = problems.field_error({"loc": list(loc), "type": CARD_NUMBER, "msg": message})
    return list(found.values())


def holds_card_number(text: str) -> bool:
    """The guard's test for a path, parameter or header string: `smartpay_shared.pan` on the text as
    written, percent-decoded, and read as UTF-8 (a WSGI server hands header bytes over as Latin-1, so a
    fullwidth digit arrives as three Latin-1 characters)."""
    forms = [text]
    if "%" in text:
        forms.append(unquote(text))
    if not text.isascii():
        try:
            forms.append(text.encode("latin-1").decode("utf-8"))
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return any(pan.contains_pan(form) for form in forms)


# --- where the strings are --------------------------------------------------------------------------------

def _card_locations(event: Mapping[str, Any]) -> Iterator[tuple[tuple, bool]]:
    yield from _body(event)
    path_params = event.get("pathParameters")
    blamed = False
    if isinstance(path_params, Mapping):
        for name, value in path_params.items():
            for found in _pair(("path",), name, value):
                blamed = True
                yield found
    path = event.get("path")
    if not blamed and isinstance(path, str) and holds_card_number(path):
        yield ("path",), False
    for source, where in (("queryStringParameters", "query"), ("multiValueQueryStringParameters", "query"),
                          ("headers", "header"), ("multiValueHeaders", "header")):
        values = event.get(source)
        if isinstance(values, Mapping):
            for name, value in values.items():
                yield from _pair((where,), name, value)


def _pair(prefix: tuple, name: Any, value: Any) -> Iterator[tuple[tuple, bool]]:
    name = str(name)
    if holds_card_number(name):
        yield (*prefix, name), True
        return
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, str) and holds_card_number(item):
            yield (*prefix, name), False
            return


class _Object(list):
    """A JSON object as its (key, value) pairs, duplicates kept."""


def _body(event: Mapping[str, Any]) -> Iterator[tuple[tuple, bool]]:
    body = event.get("body")
    if not isinstance(body, str) or not body:
        return
    text = body
    if event.get("isBase64Encoded"):
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            text = body
    try:
        value = json.loads(text, object_pairs_hook=_Object)
    except (ValueError, RecursionError):
        if pan.contains_pan(text):
            yield ("body",), False
        return
    yield from _walk(value, ("body",))


def _walk(value: Any, loc: tuple) -> Iterator[tuple[tuple, bool]]:
    # Depth first in document order, without recursion (the body checks limit the depth, this need not).
    stack: list[tuple[Any, tuple]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _Object):
            for key, _ in item:
                if pan.contains_pan(key):
                    yield (*where, key), True
            stack.extend((member, (*where, key)) for key, member in reversed(item))
        elif isinstance(item, list):
            stack.extend((member, (*where, i)) for i, member in reversed(list(enumerate(item))))
        elif isinstance(item, str) and pan.contains_pan(item):
            yield where, False
