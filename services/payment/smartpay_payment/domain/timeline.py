"""How long each stage of a saga took, kept in the payment record beside its timeline (the shared
TimelineEntry says only when a stage was reached): for a stage an event caused, when that event was
emitted and when its handler started on it, so time queued (emitted -> handler start, SQS and bus
transport included) and time handling (handler start -> commit) read apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from smartpay_shared.events.envelope import Metadata

if TYPE_CHECKING:
    from smartpay_payment.domain.model import Transition

MAX_TIMINGS = 100  # as many as timeline entries


class StageTiming(BaseModel):
    """One timeline entry's timing (matched to it by `state` and `at`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str = Field(max_length=32)
    at: AwareDatetime  # the timeline entry's time: the transition, committed right after
    cause: str = Field(max_length=64)  # the event type the handler acted on, or who else acted (sweeper, api)
    emitted_at: AwareDatetime | None = None  # that event's envelope occurred_at
    received_at: AwareDatetime  # when the handler started on it


@dataclass(frozen=True)
class Cause:
    """What a handler acts on: an event (its metadata also makes the causation of what it emits), or
    another actor (`source`: sweeper, api, reconcile) without one; and when it started on it."""

    metadata: Metadata | None
    received_at: datetime
    source: str | None = None

    @property
    def label(self) -> str:
        return self.metadata.event_type if self.metadata is not None else (self.source or "unknown")


def timed(transition: Transition, cause: Cause | None) -> Transition:
    """The transition with a StageTiming for each timeline entry it added (none without a cause)."""
    before, after = transition.before, transition.after
    known = {id(e) for e in before.timeline} if after is not before else set()
    added = [e for e in after.timeline if id(e) not in known]
    if cause is None or not added:
        return transition
    stamped = [StageTiming(state=e.state, at=e.at, cause=cause.label, received_at=cause.received_at,
                           emitted_at=cause.metadata.occurred_at if cause.metadata else None) for e in added]
    timings = [*after.timings, *stamped]
    if len(timings) > MAX_TIMINGS:  # like the timeline: keep the start, drop the oldest middle entries
        timings = [timings[0], *timings[-(MAX_TIMINGS - 1):]]
    return type(transition)(before, after.model_copy(update={"timings": timings}), transition.events)


@dataclass(frozen=True)
class Stage:
    """One row of `smartpay payment timeline`: a timeline entry with where its time went (ms; None when
    the record has no timing for it, e.g. written before timings were kept). `elapsed`: since the
    previous stage; `upstream`: previous stage -> the causing event's emission (other services' work and
    their queues); `queued`: emission -> handler start (bus + SQS, redelivery waits included);
    `handling`: handler start -> this stage (gateway calls, writes)."""

    state: str
    at: datetime
    detail: str | None
    cause: str | None
    since_start: float
    elapsed: float | None
    upstream: float | None
    queued: float | None
    handling: float | None


def _ms(start: datetime | None, end: datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() * 1000


def stages(payment) -> list[Stage]:
    """The payment's timeline with its timings, in order. Stages one handler run reached after its first
    (AUTHORIZED then CAPTURED in one route.selected) count their handling from the stage before."""
    timing = {(t.state, t.at): t for t in payment.timings}
    rows: list[Stage] = []
    previous, previous_timing = None, None
    start = payment.timeline[0].at if payment.timeline else None
    for entry in payment.timeline:
        t = timing.get((entry.state, entry.at))
        same_run = (t is not None and previous_timing is not None and (t.cause, t.received_at)
                    == (previous_timing.cause, previous_timing.received_at))
        emitted = t.emitted_at if t and not same_run else None
        rows.append(Stage(
            state=entry.state, at=entry.at, detail=entry.detail, cause=t.cause if t else None,
            since_start=_ms(start, entry.at), elapsed=_ms(previous, entry.at), upstream=_ms(previous, emitted),
            queued=_ms(emitted, t.received_at) if emitted else None,
            handling=_ms(previous if same_run else t.received_at, entry.at) if t else None))
        previous, previous_timing = entry.at, t
    return rows
