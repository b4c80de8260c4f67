"""Ports the service layer needs; adapters implement them (DynamoDB, EventBridge, the gateways and
their ledgers; in-memory ones in adapters/memory.py and smartpay_payment.testing.fakes for unit tests)."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from smartpay_payment.domain.charges import ChargeRequest, ChargeResult, GatewayError, MethodDetails, RefundResult
from smartpay_payment.domain.model import Payment
from smartpay_payment.domain.reconciliation import GatewayCharge
from smartpay_shared.events.envelope import Envelope


# --- the payments table ------------------------------------------------------------------------------
class ConcurrencyConflict(Exception):
    """Someone else moved the saga first: re-read and decide again."""


class RepositoryError(RuntimeError):
    pass


@dataclass
class Stored:
    payment: Payment
    outbox: dict[str, Envelope] = field(default_factory=dict)
    outbox_at: float | None = None
    deadline_at: float | None = None


class PaymentRepository(abc.ABC):
    """One record per payment; every write is conditional on the version read, with the transition's
    events in an outbox written in the same write (cleared once published)."""

    @abc.abstractmethod
    def get(self, payment_id: str, merchant_id: str | None = None) -> Stored | None:
        """None when absent or owned by another merchant (callers answer 404 either way)."""

    @abc.abstractmethod
    def save(self, payment: Payment, envelopes: list[Envelope], *, expected_version: int | None,
             deadline_at: datetime | None = None) -> None:
        """Write `payment` if the stored version is still `expected_version` (None: must not exist);
        ConcurrencyConflict otherwise."""

    @abc.abstractmethod
    def clear_outbox(self, payment_id: str, event_ids: list[str]) -> None: ...

    @abc.abstractmethod
    def sweep_candidates(self, now: datetime, outbox_before: datetime) -> list[Stored]:
        """Sagas past their deadline, events unpublished since before `outbox_before`, pending refunds."""

    @abc.abstractmethod
    def all(self) -> list[Stored]:
        """Every payment (operators' reconciliation)."""


class EventPublisher(Protocol):
    """The bus (smartpay_shared.runtime.publisher.EventPublisher): raises PublishError when it fails."""

    def publish(self, *envelopes: Envelope) -> object: ...


# --- the gateways ------------------------------------------------------------------------------------
class Gateway(abc.ABC):
    """The one capability interface of every connector; amounts in minor units, every provider failure
    a GatewayError."""

    name: str

    def describe(self, token: str) -> MethodDetails:
        """The stored method behind `token` (the vault checks a token before keeping it); GatewayError
        when the gateway does not know it or cannot store cards."""
        raise GatewayError("unsupported", f"{self.name} keeps no card on file", retriable=False, gateway=self.name)

    @abc.abstractmethod
    def authorize(self, request: ChargeRequest) -> ChargeResult:
        """Reserve the amount; repeating it with the same reference never reserves twice."""

    @abc.abstractmethod
    def capture(self, gateway_reference: str, amount: int, reference: str) -> ChargeResult: ...

    @abc.abstractmethod
    def refund(self, gateway_reference: str, amount: int, reference: str) -> RefundResult:
        """`reference` identifies this refund: repeating it never refunds twice."""

    @abc.abstractmethod
    def void(self, gateway_reference: str, reference: str) -> ChargeResult: ...

    @abc.abstractmethod
    def status(self, request: ChargeRequest) -> ChargeResult | None:
        """What the gateway holds for this attempt (request.reference; None: it never saw it)."""


class GatewayLedger(abc.ABC):
    """Reads one gateway's own record of charges (the ledger check and reconciliation)."""

    gateway: str

    @abc.abstractmethod
    def held(self, payment: Payment, attempt: int) -> GatewayCharge | None:
        """What the gateway holds for one attempt of `payment` (None: it never saw it). A transient
        gateway error is retried; a persistent one propagates (nobody may then call the payment fine)."""

    def charges(self, payments: list[Payment]) -> list[GatewayCharge]:
        """Every charge the gateway holds for these payments. This default reads each attempt routed
        here; ledgers that can list everything also return charges of payments the table does not
        have (orphans of an unknown payment)."""
        found = []
        for payment in payments:
            for attempt, name in enumerate(payment.tried_gateways, start=1):
                if name == self.gateway and (charge := self.held(payment, attempt)) is not None:
                    found.append(charge)
        return found
