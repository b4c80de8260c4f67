"""The payment saga's record (one DynamoDB item) and what every transition shares: the states, the
exceptions a transition raises (Stale: a duplicate or out-of-date event, a no-op; NotYet: arrived early),
and `advance` (the next state with its timeline entry). The transitions: steps.py (the saga) and
refunds.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smartpay_payment.domain.timeline import StageTiming
from smartpay_shared.events import payloads as p


class State(StrEnum):
    REQUESTED = "REQUESTED"
    FRAUD_CHECKED = "FRAUD_CHECKED"
    ROUTED = "ROUTED"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    INDEXED = "INDEXED"  # = COMPLETED
    REROUTING = "REROUTING"  # a retriable gateway failure asked routing for the next gateway
    FRAUD_DECLINED = "FRAUD_DECLINED"
    DECLINED = "DECLINED"  # the gateway declined for good
    FAILED = "FAILED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


TERMINAL = {State.INDEXED, State.CAPTURED, State.FRAUD_DECLINED, State.DECLINED, State.FAILED,
            State.PARTIALLY_REFUNDED, State.REFUNDED}
AWAITING_ROUTE = {State.FRAUD_CHECKED, State.REROUTING}
CHARGING = {State.ROUTED, State.AUTHORIZED}
REFUNDABLE = {State.CAPTURED, State.INDEXED, State.PARTIALLY_REFUNDED}
SNAPSHOT_STATUS = {State.CAPTURED: "captured", State.INDEXED: "captured", State.FRAUD_DECLINED: "declined",
                    State.DECLINED: "declined", State.FAILED: "failed", State.REFUNDED: "refunded",
                    State.PARTIALLY_REFUNDED: "partially_refunded"}
MAX_TIMELINE = 100


class Stale(Exception):
    """The event is a duplicate or was overtaken: handling it changes nothing."""


class NotYet(Exception):
    """The event arrived before the step it depends on: retry later (the queue redelivers)."""


class ChargeClaimed(NotYet):
    """Another delivery holds a live claim on the attempt: back off, re-read later (the queue redelivers,
    not before `retry_after_seconds`: when the claim's lease ends)."""

    def __init__(self, message: str, retry_after_seconds: int | None = None):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class RefundRefused(ValueError):
    """A refund the payment cannot take (state or amount)."""


class Refund(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int
    amount: int
    status: str = "pending"  # pending | succeeded | refused (kept: its number and reference are never reused)
    refund_id: str | None = None
    reason: str = ""
    compensation: bool = False
    gateway: str | None = None  # set when the refund is of another charge than the payment's own
    gateway_reference: str | None = None


class DisputeRefused(ValueError):
    """A dispute the payment cannot take (nothing captured, amount, time), or a second one that differs."""

    def __init__(self, message: str, field: str | None = None, conflict: bool = False):
        super().__init__(message)
        self.field = field
        self.conflict = conflict


class Dispute(BaseModel):
    """A chargeback: the network takes `amount` back from the merchant (the gateway debits it; our ledger
    records it, so no refund can return the same money a second time)."""

    model_config = ConfigDict(extra="forbid")
    dispute_id: str
    amount: int
    reason: str
    known_at: datetime
    recorded_at: datetime


class ChargeClaim(BaseModel):
    """Who may call the gateway for the current attempt, until when: taken by a conditional write
    before any gateway call, so concurrent deliveries of one route never charge twice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: str
    until: datetime


class Payment(BaseModel):
    """One payment's saga record (one DynamoDB item)."""

    model_config = ConfigDict(extra="forbid")

    payment_id: str
    merchant_id: str
    amount: int = Field(gt=0)
    currency: str
    payment_method: p.PaymentMethod
    customer_id: str
    device_id: str | None = None
    ip_address: str | None = None
    country: str | None = None
    merchant_category: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    # The method's token per gateway (a vaulted card holds several, a raw token one): what is charged
    # when routing picks that gateway. Empty on records written before the vault (the method token).
    gateway_tokens: dict[str, str] = Field(default_factory=dict)
    state: State = State.REQUESTED
    version: int = 1
    attempt: int = 1
    gateway: str | None = None
    tried_gateways: list[str] = Field(default_factory=list)
    gateway_reference: str | None = None
    attempts: list[p.AttemptSummary] = Field(default_factory=list)
    fraud_score: float | None = None
    fraud_decision: str | None = None
    fraud_reasons: list[p.FraudReason] = Field(default_factory=list)
    routing_explanation: str | None = None
    captured_amount: int = 0
    refunds: list[Refund] = Field(default_factory=list)
    disputes: list[Dispute] = Field(default_factory=list)  # at most one: a card network allows one per charge
    decline_code: str | None = None
    decline_reason: str | None = None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    indexed_version: int | None = None
    timeline: list[p.TimelineEntry] = Field(default_factory=list)
    timings: list[StageTiming] = Field(default_factory=list)  # per timeline entry: time queued and handling
    charge_claim: ChargeClaim | None = None
    # A route.selected that arrived before the fraud result: kept, and applied with it (no redelivery wait).
    early_route: p.RouteSelected | None = None

    @property
    def refunded_amount(self) -> int:
        return sum(r.amount for r in self.refunds if r.status == "succeeded")

    @property
    def disputed_amount(self) -> int:
        return sum(d.amount for d in self.disputes)

    @property
    def refundable_amount(self) -> int:
        """Captured, less what was refunded, is being refunded, or was taken back by a chargeback."""
        pending = sum(r.amount for r in self.refunds if r.status == "pending")
        return self.captured_amount - self.refunded_amount - pending - self.disputed_amount

    def reference(self, attempt: int | None = None) -> str:
        """Our reference for one gateway attempt: deterministic, so a retry finds the first try."""
        return f"{self.payment_id}-{attempt or self.attempt}"

    def attempt_gateway(self, attempt: int | None = None) -> str | None:
        """The gateway attempt n ran on (each routed attempt appends its gateway to tried_gateways)."""
        n = attempt or self.attempt
        return self.tried_gateways[n - 1] if len(self.tried_gateways) >= n else self.gateway

    def token_for(self, gateway: str | None) -> str | None:
        """The method's token on `gateway`; None when the method has none there (it cannot be charged)."""
        if not self.gateway_tokens:
            return self.payment_method.token
        return self.gateway_tokens.get(gateway or "")

    def method_gateways(self) -> list[str] | None:
        """The gateways the method holds a token on (None: a raw token of unknown reach)."""
        return sorted(self.gateway_tokens) or None

    def context(self) -> p.PaymentContext:
        return p.PaymentContext(amount=self.amount, currency=self.currency, method=self.payment_method.type,
                                country=self.country, merchant_category=self.merchant_category,
                                gateways=self.method_gateways())

    def snapshot(self) -> p.PaymentSnapshot:
        status = SNAPSHOT_STATUS.get(self.state)
        if status is None:
            raise ValueError(f"no snapshot of a payment in flight ({self.state})")
        return p.PaymentSnapshot(
            version=self.version, status=status, amount=self.amount, currency=self.currency,
            method=self.payment_method.type, card_last4=self.payment_method.last4, country=self.country,
            merchant_category=self.merchant_category, customer_id=self.customer_id, gateway=self.gateway,
            attempts=self.attempts[-10:], fraud_score=self.fraud_score, fraud_decision=self.fraud_decision,
            fraud_reasons=self.fraud_reasons, routing_explanation=self.routing_explanation,
            captured_amount=self.captured_amount, refunded_amount=self.refunded_amount,
            decline_code=self.decline_code, decline_reason=self.decline_reason, created_at=self.created_at,
            completed_at=self.completed_at, timeline=self.timeline[-MAX_TIMELINE:])


@dataclass(frozen=True)
class Transition:
    before: Payment
    after: Payment
    events: list[BaseModel] = field(default_factory=list)


def ids_of(payment: Payment) -> dict[str, str]:
    return {"payment_id": payment.payment_id, "merchant_id": payment.merchant_id}


def advance(payment: Payment, state: State, now: datetime, detail: str | None = None, **changes: Any) -> Payment:
    entry = p.TimelineEntry(state=state.value, at=now, detail=(detail or None) and detail[:500])
    timeline = [*payment.timeline, entry]
    if len(timeline) > MAX_TIMELINE:  # keep the start, drop the oldest middle entries
        timeline = [timeline[0], *timeline[-(MAX_TIMELINE - 1):]]
    if state in TERMINAL and payment.completed_at is None:
        changes.setdefault("completed_at", now)
    if state not in CHARGING:
        changes.setdefault("charge_claim", None)
    return payment.model_copy(update={"state": state, "version": payment.version + 1, "updated_at": now,
                                      "timeline": timeline, **changes})


_MOVED = {"steps": ("start", "fraud_assessed", "route_selected", "claim_charge", "release_charge", "authorized",
                    "captured", "attempt_failed", "saga_failed", "indexed"),
          "refunds": ("refund_reserved", "refund_settled", "late_capture_found"),
          "disputes": ("dispute_recorded",)}


def __getattr__(name: str):
    """The transitions under their earlier home (`model.start`, ...), for callers outside this package
    (tests/unit/test_outcomes.py, tests/unit/test_chaos.py); resolved on use, so no import cycle."""
    for module, names in _MOVED.items():
        if name in names:
            from importlib import import_module

            return getattr(import_module(f"smartpay_payment.domain.{module}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
