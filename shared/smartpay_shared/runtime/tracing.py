"""X-Ray around event handling. The trace header travels in the envelope, so a trace spans hops.

In Lambda the SDK's facade segment is the parent; under the local worker, runtime/worker_tracing.py
opens the function segment. Without an active segment, tracing is a silent no-op."""

from __future__ import annotations

import contextlib
import os
import re
import traceback
from collections.abc import Iterator

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.models.noop_traceid import NoOpTraceId

from smartpay_shared.events.envelope import Envelope

_NOOP_TRACE_ID = NoOpTraceId().to_id()
TRACE_ID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
ENTITY_ID = re.compile(r"^[0-9a-f]{16}$")

# No segment means "not traced" here (unit tests, handlers called directly), not an error worth a log
# line per call. The SDK's own variable still wins; Lambda's context ignores the setting anyway.
xray_recorder.context.context_missing = os.getenv("AWS_XRAY_CONTEXT_MISSING", "IGNORE_ERROR")


def parse_trace_header(header: str | None) -> dict[str, str]:
    """`Root=1-..;Parent=..;Sampled=1` -> {"Root": ..., "Parent": ..., "Sampled": ...}."""
    parts: dict[str, str] = {}
    for item in (header or "").split(";"):
        key, sep, value = item.strip().partition("=")
        if sep and key:
            parts[key] = value
    return parts


def format_trace_header(root: str, parent: str | None = None, sampled: bool | None = True) -> str:
    header = f"Root={root}"
    if parent:
        header += f";Parent={parent}"
    if sampled is not None:
        header += f";Sampled={int(sampled)}"
    return header


def _current_entity():
    try:
        return xray_recorder.get_trace_entity()
    except Exception:  # RUNTIME_ERROR strategy, or a broken context: either way, "not traced"
        return None


def current_trace_header() -> str | None:
    """The header to put on events this handler emits: same trace root, this entity as parent."""
    entity = _current_entity()
    if entity is None or entity.trace_id == _NOOP_TRACE_ID:
        return None
    return format_trace_header(entity.trace_id, entity.id, bool(getattr(entity, "sampled", True)))


@contextlib.contextmanager
def subsegment(name: str, envelope: Envelope) -> Iterator[None]:
    """A subsegment of the active entity for handling one event; the exception, if any, is recorded."""
    if _current_entity() is None:
        yield
        return
    metadata = envelope.metadata
    sub = xray_recorder.begin_subsegment(name[:200])
    try:
        if sub is not None:
            sub.put_annotation("correlation_id", metadata.correlation_id)
            sub.put_annotation("event_type", metadata.event_type)
            sub.put_metadata("event_id", metadata.event_id, "smartpay")
            if metadata.trace_header:  # the cause's position, useful when the batch's trace is another one
                sub.put_metadata("trace_header", metadata.trace_header, "smartpay")
        yield
    except Exception as e:
        if sub is not None:
            sub.add_exception(e, traceback.extract_tb(e.__traceback__, limit=xray_recorder.max_trace_back))
        raise
    finally:
        if sub is not None:
            xray_recorder.end_subsegment()
