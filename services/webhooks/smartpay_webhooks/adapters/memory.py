"""In-memory fakes of the ports, for unit tests of the use cases (pure logic only)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smartpay_webhooks.domain.caps import Admission, EndpointCaps
from smartpay_webhooks.domain.model import Delivery, Endpoint
from smartpay_webhooks.service_layer.ports import DeliveryTask, SendResult


class MemoryEndpoints:
    def __init__(self):
        self.items: dict[tuple[str, str], Endpoint] = {}

    def add(self, endpoint: Endpoint) -> None:
        self.items[(endpoint.merchant_id, endpoint.endpoint_id)] = endpoint

    def get(self, merchant_id: str, endpoint_id: str) -> Endpoint | None:
        return self.items.get((merchant_id, endpoint_id))

    def list(self, merchant_id: str) -> list[Endpoint]:
        return [e for (m, _), e in self.items.items() if m == merchant_id]

    def save(self, endpoint: Endpoint) -> None:
        if (endpoint.merchant_id, endpoint.endpoint_id) in self.items:
            self.items[(endpoint.merchant_id, endpoint.endpoint_id)] = endpoint

    def delete(self, merchant_id: str, endpoint_id: str) -> bool:
        return self.items.pop((merchant_id, endpoint_id), None) is not None


class MemoryDeliveries:
    def __init__(self):
        self.items: dict[tuple[str, str], Delivery] = {}

    def create(self, delivery: Delivery) -> bool:
        key = (delivery.endpoint_id, delivery.delivery_id)
        if key in self.items:
            return False
        self.items[key] = delivery
        return True

    def get(self, endpoint_id: str, delivery_id: str) -> Delivery | None:
        return self.items.get((endpoint_id, delivery_id))

    def save(self, delivery: Delivery, *, expected_attempt_count: int) -> bool:
        current = self.items.get((delivery.endpoint_id, delivery.delivery_id))
        if current is None or current.attempt_count != expected_attempt_count:
            return False
        self.items[(delivery.endpoint_id, delivery.delivery_id)] = delivery
        return True

    def list(self, endpoint_id: str, *, newest_first: bool, after_id: str | None = None,
             before_id: str | None = None, limit: int = 50) -> list[Delivery]:
        found = sorted((d for (e, i), d in self.items.items() if e == endpoint_id
                        and (after_id is None or i >= after_id) and (before_id is None or i < before_id)),
                       key=lambda d: d.delivery_id, reverse=newest_first)
        return found[:limit]


class ReversibleBox:
    """Not encryption: a reversible wrapper that still refuses a ciphertext opened under another context."""

    def seal(self, plain: str, context: dict[str, str]) -> str:
        return json.dumps({"context": context, "plain": plain[::-1]})

    def open(self, ciphertext: str, context: dict[str, str]) -> str:
        sealed = json.loads(ciphertext)
        if sealed["context"] != context:
            raise ValueError("context mismatch")
        return sealed["plain"][::-1]


class ListQueue:
    def __init__(self):
        self.tasks: list[tuple[DeliveryTask, float]] = []

    def enqueue(self, task: DeliveryTask, delay_seconds: float) -> None:
        self.tasks.append((task, delay_seconds))

    def pop(self) -> DeliveryTask:
        return self.tasks.pop(0)[0]


@dataclass
class ScriptedSender:
    """Answers from a list of status codes (None: a timeout); records what it was sent."""

    answers: list[int | None] = field(default_factory=list)
    sent: list[tuple[str, dict[str, str], str]] = field(default_factory=list)
    timeouts: list[float | None] = field(default_factory=list)

    def send(self, url: str, headers: dict[str, str], body: str, timeout_seconds: float | None = None) -> SendResult:
        self.sent.append((url, headers, body))
        self.timeouts.append(timeout_seconds)
        status = self.answers.pop(0) if self.answers else 200
        if status is None:
            limit = timeout_seconds or 5
            return SendResult(None, limit * 1000.0, error=f"timeout after {limit:g} s")
        return SendResult(status, 12.0, "ok" if status < 300 else "x" * 2000)


class CountingGate:
    """The caps' logic without Redis: slots in flight and a bucket that refills only when told to."""

    def __init__(self, caps: EndpointCaps):
        self.caps = caps
        self.in_flight: dict[str, set[str]] = {}
        self.tokens: dict[str, float] = {}
        self.released: list[str] = []

    def admit(self, endpoint_id: str) -> Admission:
        slots = self.in_flight.setdefault(endpoint_id, set())
        if len(slots) >= self.caps.max_concurrency:
            return Admission(None, "concurrency")
        tokens = self.tokens.setdefault(endpoint_id, float(self.caps.burst))
        if tokens < 1:
            return Admission(None, "rate", (1 - tokens) / self.caps.rate_per_second)
        self.tokens[endpoint_id] = tokens - 1
        token = f"t{sum(map(len, self.in_flight.values())) + len(self.released)}"
        slots.add(token)
        return Admission(token)

    def release(self, endpoint_id: str, token: str) -> None:
        self.in_flight[endpoint_id].discard(token)
        self.released.append(token)


@dataclass
class ManualClock:
    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
