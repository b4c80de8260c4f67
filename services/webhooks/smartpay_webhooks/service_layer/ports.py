"""What the use cases need from the outside world. Adapters: adapters/dynamodb.py, kms_secrets.py,
sqs_queue.py, http_sender.py, redis_gate.py; fakes: adapters/memory.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from smartpay_webhooks.domain.caps import Admission
from smartpay_webhooks.domain.model import Delivery, Endpoint


class EndpointLists(Protocol):
    """What the event consumer's fan-out reads: a merchant's endpoints."""

    def list(self, merchant_id: str) -> list[Endpoint]: ...


class EndpointRepository(Protocol):
    def add(self, endpoint: Endpoint) -> None: ...
    def get(self, merchant_id: str, endpoint_id: str) -> Endpoint | None: ...
    def list(self, merchant_id: str) -> list[Endpoint]: ...
    def save(self, endpoint: Endpoint) -> None: ...
    def delete(self, merchant_id: str, endpoint_id: str) -> bool: ...


class DeliveryRepository(Protocol):
    def create(self, delivery: Delivery) -> bool:
        """False when a delivery with this id exists already (nothing written)."""

    def get(self, endpoint_id: str, delivery_id: str) -> Delivery | None: ...

    def save(self, delivery: Delivery, *, expected_attempt_count: int) -> bool:
        """Write if nobody recorded an attempt meanwhile; False otherwise."""

    def list(self, endpoint_id: str, *, newest_first: bool, after_id: str | None = None,
             before_id: str | None = None, limit: int = 50) -> list[Delivery]: ...


class SecretBox(Protocol):
    """Encrypts endpoint secrets at rest; the context binds a ciphertext to its endpoint."""

    def seal(self, plain: str, context: dict[str, str]) -> str: ...
    def open(self, ciphertext: str, context: dict[str, str]) -> str: ...


@dataclass(frozen=True)
class DeliveryTask:
    merchant_id: str
    endpoint_id: str
    delivery_id: str
    attempt: int  # the delivery's attempt_count this task is for: an older task is stale
    not_before: datetime


class DeliveryQueue(Protocol):
    def enqueue(self, task: DeliveryTask, delay_seconds: float) -> None:
        """Visible after min(delay, the queue's maximum); the deliverer re-enqueues a task that is early."""


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    latency_ms: float
    body: str = ""
    error: str | None = None


class Sender(Protocol):
    def send(self, url: str, headers: dict[str, str], body: str, timeout_seconds: float | None = None) -> SendResult:
        """POST the body (within `timeout_seconds`, else the sender's own timeout); checks the URL's addresses
        again (URL safety) and never raises for the endpoint's faults."""


class EndpointGate(Protocol):
    """The per-endpoint caps (domain/caps.py), shared by every instance."""

    def admit(self, endpoint_id: str) -> Admission: ...
    def release(self, endpoint_id: str, token: str) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...
