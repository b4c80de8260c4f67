"""X-Ray around event handling. The trace header travels in the envelope, so a trace spans hops.

In Lambda the SDK's facade segment is the parent; under the local worker the worker opens the
function segment (see runtime/worker.py). Without an active segment, tracing is a no-op."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aws_xray_sdk.core import xray_recorder

from smartpay_shared.events.envelope import Envelope


def parse_trace_header(header: str | None) -> dict[str, str]:
    """`Root=1-..;Parent=..;Sampled=1` -> {"Root": ..., "Parent": ..., "Sampled": ...}."""
    parts: dict[str, str] = {}
    for item in (header or "").split(";"):
        key, sep, value = item.strip().partition("=")
        if sep and key:
            parts[key] = value
    return parts


def _active() -> bool:
    try:
        return xray_recorder.get_trace_entity() is not None
    except Exception:  # the SDK raises or logs when no segment is open; either means "off"
        return False


def current_trace_header() -> str | None:
    """The header to put on events this handler emits: same trace root, this entity as parent."""
    if not _active():
        return None
    entity = xray_recorder.get_trace_entity()
    sampled = 1 if getattr(entity, "sampled", True) else 0
    return f"Root={entity.trace_id};Parent={entity.id};Sampled={sampled}"


@contextlib.contextmanager
def subsegment(name: str, envelope: Envelope) -> Iterator[None]:
    if not _active():
        yield
        return
    sub = xray_recorder.begin_subsegment(name[:200])
    try:
        if sub is not None:
            sub.put_annotation("correlation_id", envelope.metadata.correlation_id)
            sub.put_annotation("event_type", envelope.metadata.event_type.replace(".", "_"))
            sub.put_metadata("event_id", envelope.metadata.event_id, "smartpay")
        yield
    except Exception as e:
        if sub is not None:
            sub.add_exception(e, stack=[])
        raise
    finally:
        xray_recorder.end_subsegment()
