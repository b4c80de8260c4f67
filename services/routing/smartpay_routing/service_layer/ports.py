"""Ports the service layer needs; adapters implement them (Redis, S3, in-memory for tests and the simulator)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from smartpay_routing.domain.health import Breaker, GatewayHealth, WindowStats
from smartpay_routing.domain.ope import LoggedDecision


class StoreUnavailable(RuntimeError):
    """A backing store (Redis, S3) could not be reached; adapters raise subclasses of this."""


class HealthStore(ABC):
    @abstractmethod
    def snapshot(self, gateways: Iterable[str], now: float) -> dict[str, GatewayHealth]: ...

    @abstractmethod
    def add_result(self, gateway: str, gateway_error: bool, now: float) -> WindowStats:
        """Count one attempt in the gateway's window; return the window after it."""

    @abstractmethod
    def breaker(self, gateway: str) -> Breaker: ...

    @abstractmethod
    def put_breaker(self, gateway: str, breaker: Breaker) -> None: ...

    @abstractmethod
    def reset_window(self, gateway: str, now: float) -> None: ...


class DecisionStore(ABC):
    """Decisions kept until their outcome arrives (outcome events carry no context or propensity)."""

    @abstractmethod
    def put_if_absent(self, payment_id: str, attempt: int, record: dict) -> dict | None:
        """Store the record unless one exists; return the existing record (a redelivery) or None."""

    @abstractmethod
    def get(self, payment_id: str, attempt: int) -> dict | None: ...

    @abstractmethod
    def claim_outcome(self, payment_id: str, attempt: int) -> bool:
        """True the first time an outcome for (payment, attempt) is claimed, False for a duplicate."""

    @abstractmethod
    def release_outcome(self, payment_id: str, attempt: int) -> None:
        """Undo a claim when learning failed, so the redelivered event is not lost."""


class CheckpointStore(ABC):
    @abstractmethod
    def latest(self) -> tuple[str, bytes, dict] | None:
        """(checkpoint id, model bytes, metadata) of the newest checkpoint, or None."""

    @abstractmethod
    def save(self, checkpoint_id: str, model: bytes, metadata: dict, decision_log: list[dict]) -> None: ...


class DecisionSource(Protocol):
    """A decision log OPE can read more than once, as (line number, decision) pairs in a fixed order."""

    name: str
    total_bytes: int | None  # for progress; None when unknown

    def read(self, on_bytes: Callable[[int], None] | None = None) -> Iterator[tuple[int, LoggedDecision]]: ...


class ProgressSink(Protocol):
    def task(self, description: str, total: int | None) -> Callable[[int], None]:
        """Start a task; the callable advances it by that many units (bytes of the log)."""
