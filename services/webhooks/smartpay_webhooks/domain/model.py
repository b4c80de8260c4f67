"""Endpoints and deliveries. Plain dataclasses: the adapters map them to items.

An endpoint holds its signing secrets only as ciphertext (`EndpointSecret.ciphertext`, KMS-encrypted by
the adapter): the plain secret exists in the create / rotate answer and in the deliverer's memory."""

from __future__ import annotations

import hashlib
import itertools
import secrets as _random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from smartpay_shared import ids, pan

from smartpay_webhooks.domain.events import OUTCOME_EVENT_TYPES

MAX_ATTEMPTS_KEPT = 20  # attempts recorded on a delivery (the newest); attempt_count counts them all
RESPONSE_BODY_LIMIT = 512  # characters of the endpoint's answer kept per attempt


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"  # by the merchant: nothing is sent
    FAILING = "failing"  # a delivery exhausted its retries; new deliveries are still attempted


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # retries exhausted, or the endpoint was disabled/deleted; kept for a resend


@dataclass(frozen=True)
class EndpointSecret:
    ciphertext: str
    created_at: datetime
    expires_at: datetime | None = None  # set on the previous secret by a rotation: signs until then

    def active(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Endpoint:
    merchant_id: str
    endpoint_id: str
    url: str
    event_types: tuple[str, ...]
    description: str
    status: EndpointStatus
    secrets: tuple[EndpointSecret, ...]
    created_at: datetime
    updated_at: datetime

    def subscribes(self, event_type: str) -> bool:
        return event_type in self.event_types

    def active_secrets(self, now: datetime) -> tuple[EndpointSecret, ...]:
        return tuple(s for s in self.secrets if s.active(now))

    def rotated(self, new: EndpointSecret, now: datetime, grace: timedelta) -> Endpoint:
        """The new secret signs from now on; the current ones keep signing for `grace`."""
        kept = tuple(s if s.expires_at is not None else replace(s, expires_at=now + grace)
                     for s in self.active_secrets(now))
        return replace(self, secrets=(new, *kept), updated_at=now)


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status_code: int | None
    latency_ms: float
    response_body: str = ""
    error: str | None = None  # timeout, refused, unsafe URL...: never the request or a secret

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Delivery:
    endpoint_id: str
    delivery_id: str
    merchant_id: str
    event_id: str  # the webhook-id: the same on every attempt and every resend
    event_type: str
    body: str
    created_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempt_count: int = 0
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)
    next_attempt_at: datetime | None = None
    cycle_start: int = 0  # attempt_count when the current retry cycle began (0, or at the last resend)

    @property
    def attempts_this_cycle(self) -> int:
        return self.attempt_count - self.cycle_start

    def resent(self, now: datetime) -> Delivery:
        """Pending again with a fresh retry cycle; the same webhook-id and body."""
        return replace(self, status=DeliveryStatus.PENDING, cycle_start=self.attempt_count, next_attempt_at=now)

    def recorded(self, attempt: Attempt, status: DeliveryStatus, next_attempt_at: datetime | None) -> Delivery:
        return replace(self, attempts=(*self.attempts, attempt)[-MAX_ATTEMPTS_KEPT:],
                       attempt_count=self.attempt_count + 1, status=status, next_attempt_at=next_attempt_at)


def new_endpoint_id() -> str:
    """`we_` + 24 random hex, redrawn while a card-number check could mistake it for one (smartpay_shared.ids)."""
    return ids.new_id("we_", draw=lambda: _random.token_hex(12))


def _millis(at: datetime) -> str:
    return f"{int(at.timestamp() * 1000):012x}"  # fixed width: sorts as time does; 12 digits at most, never a PAN


def delivery_id(created_at: datetime, event_id: str, endpoint_id: str) -> str:
    """`dlv_<ms, 12 hex>_<16 hex>`: time-ordered (the range key sorts by creation) and the same for the same
    event and endpoint (a redelivered event creates no second delivery); the hash is re-salted, still
    deterministically, until no card-number check could mistake the id for one."""
    for salt in itertools.count():
        digest = hashlib.sha256(f"{event_id}|{endpoint_id}|{salt}".encode()).hexdigest()[:16]
        candidate = f"dlv_{_millis(created_at)}_{digest}"
        if not pan.contains_pan(candidate, in_words=True):
            return candidate
    raise AssertionError("unreachable")


def delivery_id_floor(since: datetime) -> str:
    """The smallest delivery id created at or after `since`."""
    return f"dlv_{_millis(since)}_"


def unknown_event_types(event_types: tuple[str, ...]) -> list[str]:
    return [t for t in event_types if t not in OUTCOME_EVENT_TYPES]
