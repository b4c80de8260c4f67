"""Turn an EventBridge event (as delivered in an SQS body) into a validated Envelope."""

from __future__ import annotations

import json
from typing import Any, get_args

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from pydantic import BaseModel, ValidationError

from smartpay_shared import pan
from smartpay_shared.events.catalog import UnknownEventType, spec_for
from smartpay_shared.events.envelope import Envelope, Metadata

SOURCE_PREFIX = "smartpay."


class InvalidEvent(ValueError):
    """The message can never be processed as it is: fail it and let the redrive policy DLQ it. The
    reason never holds a card number (redacted, even one glued to letters)."""

    def __init__(self, reason: str):
        super().__init__(pan.redact(reason))


def _errors(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(x) for x in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
    )


def _minor(version: str) -> int:
    return int(version.split(".")[1])


def known_fields(model: type[BaseModel], data: Any) -> Any:
    """What a consumer on an older minor schema reads of a newer minor event: the fields its model knows,
    recursively (a minor version only adds optional fields; the payload models forbid unknown ones, which
    stays the rule within one version). A dropped value that holds a card number still refuses the event."""
    if not isinstance(data, dict):
        return data
    known = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in data:
            known[key] = _known_value(field.annotation, data[key])
    dropped = {k: v for k, v in data.items() if k not in known}
    if dropped and pan.contains_pan(json.dumps(dropped, default=str)):
        raise InvalidEvent(f"unknown fields {sorted(dropped)} hold a card number")
    return known


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _known_value(annotation: Any, value: Any) -> Any:
    models = _models_in(annotation)
    if len(models) != 1:  # a plain value, or a union of models: left to the model (strict)
        return value
    if isinstance(value, list):
        return [known_fields(models[0], v) for v in value]
    return known_fields(models[0], value)


def parse_sqs_body(body: str) -> tuple[EventBridgeModel, Envelope]:
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as e:
        raise InvalidEvent(f"body is not JSON: {e}") from e
    return parse_bus_event(raw)


def parse_bus_event(raw: Any) -> tuple[EventBridgeModel, Envelope]:
    if isinstance(raw, dict) and "account" not in raw:
        # moto's EventBridge -> SQS delivery omits `account` (AWS always sends it); nothing reads it.
        raw = {**raw, "account": ""}
    try:
        event = EventBridgeModel.model_validate(raw)
    except ValidationError as e:
        # `from None`: pydantic's own message quotes the input, which may hold a card number.
        raise InvalidEvent(f"not an EventBridge event: {_errors(e)}") from None
    if not event.source.startswith(SOURCE_PREFIX):
        raise InvalidEvent(f"source {event.source!r} is not a SmartPay service")
    try:
        spec = spec_for(event.detail_type)
    except UnknownEventType as e:
        raise InvalidEvent(str(e)) from e

    detail = event.detail if isinstance(event.detail, dict) else None
    if detail is None or set(detail) != {"metadata", "data"}:
        raise InvalidEvent("detail must be an object with exactly 'metadata' and 'data'")
    try:
        metadata = Metadata.model_validate(detail["metadata"])
    except ValidationError as e:
        raise InvalidEvent(f"invalid metadata: {_errors(e)}") from None
    if metadata.event_type != event.detail_type:
        raise InvalidEvent(
            f"metadata.event_type {metadata.event_type!r} differs from detail-type {event.detail_type!r}"
        )
    if event.source != SOURCE_PREFIX + metadata.producer.service:
        raise InvalidEvent(f"source {event.source!r} differs from producer {metadata.producer.service!r}")
    if int(metadata.schema_version.split(".")[0]) != spec.major:
        raise InvalidEvent(
            f"{spec.event_type} schema {metadata.schema_version} is not readable by this consumer "
            f"(catalog {spec.schema_version})"
        )
    data = detail["data"]
    if _minor(metadata.schema_version) > _minor(spec.schema_version):
        data = known_fields(spec.model, data)
    try:
        data = spec.model.model_validate(data)
    except ValidationError as e:
        raise InvalidEvent(f"invalid {spec.event_type} data: {_errors(e)}") from None
    if getattr(data, "payment_id", metadata.correlation_id) != metadata.correlation_id:
        raise InvalidEvent("metadata.correlation_id must be the payment id")
    return event, Envelope(metadata=metadata, data=data)
