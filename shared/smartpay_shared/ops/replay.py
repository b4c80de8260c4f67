"""Event replay for debugging: re-deliver the archived events of a window (optionally one payment's)
to a debug queue, or back onto the bus.

Service rules ignore replayed events (`"replay-name": [{"exists": false}]`), so a replay first lands
in a temporary debug rule named in FilterArns (moto ignores FilterArns; the service rules' clause
keeps them out anyway). `to_bus` then re-publishes exactly those events with PutEvents; consumers
dedupe them on the envelope's event id."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from smartpay_shared.events.parsing import parse_bus_event
from smartpay_shared.ops.tap import BusTap
from smartpay_shared.runtime.publisher import EventPublisher

Target = Literal["debug", "bus"]


class ReplayFailed(RuntimeError):
    pass


@dataclass
class ReplayResult:
    name: str
    replayed: int
    target: Target
    debug_queue_url: str | None = None
    events: list[dict] = field(default_factory=list)


def replay_pattern(replay_name: str, payment_id: str | None) -> dict:
    pattern: dict[str, Any] = {"replay-name": [replay_name]}
    if payment_id:
        pattern["detail"] = {"metadata": {"correlation_id": [payment_id]}}
    return pattern


def _wait_for_replay(events: Any, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replay = events.describe_replay(ReplayName=name)
        state = replay["State"]
        if state == "COMPLETED":
            return
        if state in ("FAILED", "CANCELLED"):
            raise ReplayFailed(f"replay {name} {state}: {replay.get('StateReason', '')}")
        time.sleep(0.2)
    raise ReplayFailed(f"replay {name} did not complete in {timeout}s")


def replay(
    events: Any,
    sqs: Any,
    *,
    bus_name: str,
    archive_name: str,
    start: datetime,
    end: datetime,
    payment_id: str | None = None,
    target: Target = "debug",
    timeout: float = 120.0,
    settle_seconds: int = 2,
) -> ReplayResult:
    archive = events.describe_archive(ArchiveName=archive_name)
    name = f"smartpay-replay-{uuid.uuid4().hex[:12]}"
    tap = BusTap(events, sqs, bus_name, replay_pattern(name, payment_id), name=name)
    tap.keep_queue = target == "debug"
    with tap:
        events.start_replay(
            ReplayName=name,
            EventSourceArn=archive["ArchiveArn"],
            EventStartTime=start,
            EventEndTime=end,
            Destination={"Arn": archive["EventSourceArn"], "FilterArns": [tap.rule_arn]},
        )
        _wait_for_replay(events, name, timeout)
        if target == "debug":
            collected = _count_only(sqs, tap.queue_url, settle_seconds)
            return ReplayResult(name, collected, target, debug_queue_url=tap.queue_url)
        collected_events = list(tap.receive(wait_seconds=settle_seconds))
    _republish(events, bus_name, collected_events)
    return ReplayResult(name, len(collected_events), target, events=collected_events)


def _count_only(sqs: Any, queue_url: str, settle_seconds: int) -> int:
    """Wait until the debug queue stops growing; the events stay there for inspection."""
    last, stable_since = -1, time.monotonic()
    while True:
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        count = int(attrs["Attributes"]["ApproximateNumberOfMessages"])
        if count != last:
            last, stable_since = count, time.monotonic()
        elif time.monotonic() - stable_since >= settle_seconds:
            return count
        time.sleep(0.2)


def _republish(events: Any, bus_name: str, collected: list[dict]) -> None:
    """Back onto the bus through the one publisher (batching, size check, retries)."""
    envelopes = [parse_bus_event(e)[1] for e in collected]
    EventPublisher(events, bus_name).publish(*envelopes)
