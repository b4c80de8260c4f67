"""PutEvents publisher: batches of at most 10 entries and 256 KB, failed entries retried."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aws_xray_sdk.core.models.traceid import TraceId
from botocore.exceptions import BotoCoreError, ClientError

from smartpay_shared.events.envelope import Envelope
from smartpay_shared.events.parsing import SOURCE_PREFIX
from smartpay_shared.runtime import tracing

MAX_ENTRIES = 10
MAX_BYTES = 256 * 1024
_TIME_BYTES = 14  # EventBridge counts a Time field as 14 bytes

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """Some events could not be put on the bus; `failed` maps event id -> error."""

    def __init__(self, message: str, failed: dict[str, str]):
        super().__init__(message)
        self.failed = failed


class EventTooLarge(PublishError):
    pass


@dataclass(frozen=True)
class _Entry:
    event_id: str
    body: dict[str, Any]
    size: int


def entry_size(entry: dict[str, Any]) -> int:
    """Size as EventBridge computes it for the 256 KB limit."""
    size = _TIME_BYTES if "Time" in entry else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(entry.get(key, "").encode())
    size += sum(len(r.encode()) for r in entry.get("Resources", []))
    return size


def to_entry(envelope: Envelope, bus_name: str) -> dict[str, Any]:
    metadata = envelope.metadata
    entry = {
        "Source": SOURCE_PREFIX + metadata.producer.service,
        "DetailType": metadata.event_type,
        "Detail": json.dumps(envelope.to_detail(), separators=(",", ":")),
        "EventBusName": bus_name,
        "Time": metadata.occurred_at,
    }
    if metadata.trace_header:
        entry["TraceHeader"] = metadata.trace_header
    return entry


def _batches(entries: Sequence[_Entry]) -> Iterator[list[_Entry]]:
    batch: list[_Entry] = []
    size = 0
    for entry in entries:
        if batch and (len(batch) == MAX_ENTRIES or size + entry.size > MAX_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += entry.size
    if batch:
        yield batch


class EventPublisher:
    def __init__(
        self,
        events_client: Any,
        bus_name: str,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._client = events_client
        self._bus = bus_name
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._sleep = sleep

    def publish(self, *envelopes: Envelope) -> list[str]:
        """Put every envelope on the bus or raise PublishError naming the ones that did not make it."""
        entries = []
        current = tracing.current_trace_header()
        for envelope in envelopes:
            # From a traced handler the next hop's parent is this entity; an event that starts a
            # flow (no trace yet) gets a new trace root, so every consumer of it joins one trace.
            header = current or envelope.metadata.trace_header or tracing.format_trace_header(TraceId().to_id())
            if header != envelope.metadata.trace_header:
                envelope = envelope.model_copy(
                    update={"metadata": envelope.metadata.model_copy(update={"trace_header": header})})
            body = to_entry(envelope, self._bus)
            size = entry_size(body)
            if size > MAX_BYTES:
                raise EventTooLarge(
                    f"event {envelope.metadata.event_id} is {size} bytes; the bus limit is {MAX_BYTES}",
                    {envelope.metadata.event_id: "EventTooLarge"},
                )
            entries.append(_Entry(envelope.metadata.event_id, body, size))
        for batch in _batches(entries):
            self._put_with_retry(batch)
        return [e.event_id for e in entries]

    def _put_with_retry(self, batch: list[_Entry]) -> None:
        pending = batch
        errors: dict[str, str] = {}
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._client.put_events(Entries=[e.body for e in pending])
            except (ClientError, BotoCoreError) as e:
                # The whole call failed (throttled, network): every pending entry is retried.
                errors = {entry.event_id: f"{type(e).__name__}: {e}" for entry in pending}
            else:
                if not response.get("FailedEntryCount"):
                    return
                failed, errors = [], {}
                for entry, result in zip(pending, response["Entries"], strict=True):
                    if result.get("ErrorCode"):
                        failed.append(entry)
                        errors[entry.event_id] = f"{result['ErrorCode']}: {result.get('ErrorMessage', '')}"
                pending = failed
                if not pending:
                    return
            if attempt < self._max_attempts:
                delay = self._base_delay * 2 ** (attempt - 1)
                log.warning("retrying %d failed bus entries in %.2fs", len(pending), delay)
                self._sleep(delay * (0.5 + random.random()))
        raise PublishError(f"{len(errors)} event(s) not published after {self._max_attempts} attempts", errors)
