"""RFC 9457 problem details: the one error format of every SmartPay HTTP answer (4xx and 5xx), from
the gateway and from every service resolver.

`{"type", "title", "status", "detail", "instance"}` plus, for 422, `errors`: one entry per invalid
field (`loc`, `pointer` for body fields, `type`, `detail`). No entry ever holds the value that was
sent: a card number typed into the wrong field must not come back in the answer (or a log)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from smartpay_shared import pan

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:smartpay:problem:"
RESERVED = ("type", "title", "status", "detail", "instance")

# Problem types beyond "the HTTP status says it all" (those get a type named after the status).
MERCHANT_REQUIRED = "merchant-required"
MERCHANT_UNCONFIRMED = "merchant-unconfirmed"  # a merchant claim no operator-assigned group confirms
ADMIN_REQUIRED = "admin-required"
VALIDATION = "validation-error"
RATE_LIMITED = "rate-limited"
THROTTLED = "throttled"  # the service is at its concurrency (a throttled Lambda behind API Gateway)
BODY_TOO_LARGE = "body-too-large"

# Pydantic errors whose message quotes a piece of the input (parsers name the character they choked on).
_INPUT_QUOTING = re.compile(r"_parsing$|^(url|uuid|decimal)_")
_GENERIC = "invalid value"
REDACTED = pan.REDACTED


def status_slug(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "client error" if 400 <= status < 500 else "server error"
    return re.sub(r"[^a-z0-9]+", "-", phrase.lower()).strip("-")


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Client error" if 400 <= status < 500 else "Server error"


def problem(status: int, detail: str | None = None, *, kind: str | None = None, title: str | None = None,
            instance: str | None = None, errors: list[dict[str, Any]] | None = None,
            **extensions: Any) -> dict[str, Any]:
    """A problem details object. `kind` names the problem type (`urn:smartpay:problem:<kind>`);
    by default it is the status' own (`...:not-found`)."""
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + (kind or status_slug(status)),
        "title": title or status_title(status),
        "status": status,
        "detail": detail or status_title(status),
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    for name, value in extensions.items():
        if name not in RESERVED and value is not None:
            body[name] = value
    return body


def field_errors(raw: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic / Powertools validation errors -> `errors` entries, without the input values."""
    return [field_error(err) for err in raw]


def field_error(err: Mapping[str, Any]) -> dict[str, Any]:
    loc = [part if isinstance(part, int) else _safe_segment(str(part)) for part in (err.get("loc") or ())]
    kind = str(err.get("type") or "value_error")
    entry: dict[str, Any] = {"loc": loc, "type": kind, "detail": safe_message(err)}
    if len(loc) > 1 and loc[0] == "body":
        entry["pointer"] = "#/" + "/".join(_pointer_token(p) for p in loc[1:])
    return entry


def safe_message(err: Mapping[str, Any]) -> str:
    """The error's message, unless it may quote the input (then only its input-free part)."""
    kind = str(err.get("type") or "")
    message = str(err.get("msg") or "").strip()
    if kind == "json_invalid":
        return "request body is not valid JSON"
    if not message:
        return _GENERIC
    if _INPUT_QUOTING.search(kind):
        message = message.split(",")[0]  # "Input should be a valid UUID, invalid character: found `x`"
    value = err.get("input")
    if isinstance(value, str | int | float) and not isinstance(value, bool) and len(str(value)) >= 4 \
            and str(value) in message:
        return _GENERIC
    return message


def validation_detail(errors: list[dict[str, Any]]) -> str:
    fields = sorted({".".join(str(p) for p in e["loc"]) or "request" for e in errors})
    return f"{len(errors)} invalid field(s): {', '.join(fields)}" if errors else "the request is invalid"


def _safe_segment(part: str) -> str:
    # A loc segment can come from the input too (an unknown key, a map key).
    return REDACTED if pan.contains_pan(part, in_words=True) else part


def redacted(value: Any) -> Any:
    """`value` (a problem body) with every card number (smartpay_shared.pan) in any string, key or
    leaf, at any depth, replaced: the backstop behind every problem that leaves a SmartPay API."""
    if isinstance(value, str):
        return pan.redact(value)
    if isinstance(value, Mapping):
        return {redacted(str(k)) if isinstance(k, str) else k: redacted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    return value


def _pointer_token(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def legacy_to_problem(status: int, body: Any, *, instance: str | None = None,
                      request_id: str | None = None) -> dict[str, Any]:
    """A service's own error body (`{"statusCode", "message", ...}`, Powertools' `{"detail": [...]}`,
    `{"field": ...}`) as problem details; the other members stay as extensions."""
    if not isinstance(body, dict):
        return problem(status, instance=instance, request_id=request_id)
    rest = {k: v for k, v in body.items() if k not in ("statusCode", "message", "detail", "field", *RESERVED)}
    message = body.get("message") if isinstance(body.get("message"), str) else None
    errors = None
    if isinstance(body.get("detail"), list):
        errors = field_errors(e for e in body["detail"] if isinstance(e, Mapping))
    elif isinstance(body.get("detail"), str) and not message:
        message = body["detail"]
    if isinstance(body.get("field"), str):
        errors = (errors or []) + [{"loc": ["body", *body["field"].split(".")], "type": "value_error",
                                    "detail": message or "invalid value",
                                    "pointer": "#/" + "/".join(body["field"].split("."))}]
    if status == 422 and errors is None:
        errors = []
    if message is None and errors is not None:
        message = validation_detail(errors)
    kind = VALIDATION if status == 422 else None
    return problem(status, message, kind=kind, instance=instance, errors=errors, request_id=request_id, **rest)


def is_problem(headers: Mapping[str, Any] | None) -> bool:
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            values = value if isinstance(value, list) else [value]
            return any(str(v).split(";")[0].strip() == PROBLEM_JSON for v in values)
    return False


def dumps(body: Mapping[str, Any]) -> str:
    """JSON of a problem body, card numbers redacted (`redacted`); the one way problems are serialised."""
    return json.dumps(redacted(json.loads(json.dumps(body, default=str))), separators=(",", ":"))
