"""The checks every SmartPay API runs on a request body before any route sees it, so that no input can
make a service answer 5xx or write half a request: 415 for a content type other than JSON, 422 for a
body that is not UTF-8 or holds a lone surrogate (it could be parsed but never stored or sent on),
400 for malformed JSON (NaN and Infinity included: they are not JSON) and for nesting deeper than the
limit (a 1,000-deep body would crash the parser itself). The body size limit is the resolver's (413).

Each check answers with a problem (smartpay_shared.problems) that names what is wrong, never the
body's content."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smartpay_shared import problems

DEFAULT_MAX_DEPTH = 32
JSON_MEDIA_TYPE = "application/json"
UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"
MALFORMED_JSON = "malformed-json"
TOO_DEEP = "json-too-deep"
INVALID_UNICODE = "invalid-unicode"

_STRUCTURE = re.compile(r'["\\\[\]{}]')
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Refusal:
    status: int
    detail: str
    kind: str
    errors: list[dict[str, Any]] | None = None


def check(event: Mapping[str, Any], *, max_depth: int = DEFAULT_MAX_DEPTH) -> Refusal | None:
    """None when the body (if any) is JSON a route may parse; else why not."""
    body = event.get("body") if isinstance(event, Mapping) else None
    if not isinstance(body, str) or body == "":
        return None
    refusal = _content_type(event)
    if refusal:
        return refusal
    try:
        text = base64.b64decode(body, validate=True).decode("utf-8") if event.get("isBase64Encoded") else body
    except (binascii.Error, ValueError):
        return Refusal(422, "request body is not UTF-8 text", INVALID_UNICODE,
                       [{"loc": ["body"], "type": "unicode_invalid", "detail": "request body is not UTF-8 text"}])
    depth = nesting_depth(text)
    if depth > max_depth:
        return Refusal(400, f"request body nests JSON {depth} levels deep; the limit is {max_depth}", TOO_DEEP)
    try:
        value = json.loads(text, parse_constant=_not_json)
    except ValueError as e:
        where = f" (line {e.lineno}, column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
        return Refusal(400, f"request body is not valid JSON{where}", MALFORMED_JSON)
    bad = list(surrogate_locations(value))
    if bad:
        errors = [{"loc": ["body", *loc], "type": "unicode_invalid",
                   "detail": "holds a lone UTF-16 surrogate: not a character"} for loc in bad[:20]]
        return Refusal(422, f"{len(bad)} string(s) in the request body are not valid Unicode", INVALID_UNICODE,
                       errors)
    return None


def normalise_content_type(event: Any) -> None:
    """Write a JSON Content-Type the way Powertools compares it (lower case): `Application/JSON` is
    JSON too, and Powertools would refuse it as unsupported (a 500)."""
    if not isinstance(event, dict):
        return
    found = media_type(event)
    if found is None or found[0] != JSON_MEDIA_TYPE:
        return
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key) or {}
        for name in list(headers):
            if str(name).lower() == "content-type":
                headers[name] = JSON_MEDIA_TYPE if key == "headers" else [JSON_MEDIA_TYPE]


def media_type(event: Mapping[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The request's Content-Type as (type/subtype lower-cased, parameters); None when absent."""
    value = None
    for name, raw in (event.get("headers") or {}).items():
        if str(name).lower() == "content-type":
            value = raw
    if value is None:
        for name, raw in (event.get("multiValueHeaders") or {}).items():
            if str(name).lower() == "content-type" and raw:
                value = raw[-1]
    if value is None:
        return None
    kind, *params = str(value).split(";")
    parsed = {}
    for param in params:
        key, _, val = param.partition("=")
        parsed[key.strip().lower()] = val.strip().strip('"').lower()
    return kind.strip().lower(), parsed


def _content_type(event: Mapping[str, Any]) -> Refusal | None:
    found = media_type(event)
    if found is None:  # no Content-Type: read as JSON, like API Gateway's default mapping
        return None
    kind, params = found
    if kind != JSON_MEDIA_TYPE:
        return Refusal(415, f"the request body must be {JSON_MEDIA_TYPE}", UNSUPPORTED_MEDIA_TYPE)
    charset = params.get("charset")
    if charset and charset not in ("utf-8", "utf8"):
        return Refusal(415, f"the request body must be {JSON_MEDIA_TYPE} in UTF-8", UNSUPPORTED_MEDIA_TYPE)
    return None


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text, without parsing it (no recursion: any
    text is measured, valid or not); brackets inside strings do not count."""
    depth = deepest = 0
    in_string = False
    i = 0
    while True:
        m = _STRUCTURE.search(text, i)
        if m is None:
            break
        ch, i = m.group(), m.end()
        if in_string:
            if ch == "\\":
                i += 1  # skip the escaped character
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


def surrogate_locations(value: Any, loc: tuple = ()) -> Any:
    """The locations (body-relative paths) of strings and keys holding a lone surrogate."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):
                yield (*loc, problems.REDACTED)
            else:
                yield from surrogate_locations(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from surrogate_locations(item, (*loc, index))


def _not_json(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")
