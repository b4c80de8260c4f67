"""The payment document: what the search index stores per payment, built from the payment's snapshot.
Pure: amounts exact (minor units and Decimal), statuses in the glossary's words (METRICS.md), no card number."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from smartpay_shared.events.payloads import PaymentRequested, PaymentSnapshot

from smartpay_chat.domain import currency as currencies
from smartpay_chat.domain.card_numbers import refuse_card_numbers
from smartpay_chat.domain.errors import InvalidPayment

# Saga states with a `<state>_at` column of their own (the first time the payment entered the state); other
# timeline states are kept in `timeline` only. Completion is `completed_at`, taken from the snapshot.
STEPS = ("requested", "fraud_checked", "fraud_declined", "routed", "rerouting", "authorized", "captured",
         "indexed", "failed", "declined", "refunded", "partially_refunded")
APPROVED = frozenset({"captured", "refunded", "partially_refunded"})
# The payment record's first version: the one payment.requested announces. Every later state of the record
# (the fraud result, a route, an outcome, a refund) has a higher one, so a payment.requested delivered late
# can never replace what a later event indexed: the index keeps the highest version.
REQUESTED_VERSION = 1
TOP_FRAUD_REASONS = 3


_NUMBERS = re.compile(r"\d+(?:[.,]\d+)*")


@dataclass(frozen=True)
class Attempt:
    attempt: int
    gateway: str
    outcome: str
    code: str | None = None
    latency_ms: float | None = None


@dataclass(frozen=True)
class FraudReason:
    feature: str
    contribution: float
    description: str


@dataclass(frozen=True)
class TimelineStep:
    state: str
    at: datetime
    detail: str | None = None


@dataclass(frozen=True)
class PaymentDocument:
    payment_id: str
    merchant_id: str
    version: int
    status: str  # glossary: captured, refunded, partially_refunded, failed, declined_fraud, pending (in flight)
    saga_status: str  # the snapshot's own word (declined covers fraud and gateway declines); requested in flight
    approved: bool
    decline_stage: str | None  # fraud | gateway | None
    amount_minor: int
    amount: Decimal
    currency: str
    currency_exponent: int
    captured_amount_minor: int
    captured_amount: Decimal
    refunded_amount_minor: int
    refunded_amount: Decimal
    method: str
    card_last4: str | None
    country: str | None
    merchant_category: str | None
    customer_id: str
    gateway: str | None  # the final attempt's gateway; None if never routed
    first_gateway: str | None
    gateways_tried: tuple[str, ...]
    attempts_count: int
    fallbacks: int  # attempts beyond the first
    fell_back: bool  # final gateway differs from the first one tried (the glossary's fallback)
    attempts: tuple[Attempt, ...]
    failure_codes: tuple[str, ...]
    decline_code: str | None
    decline_reason: str | None
    fraud_score: float | None
    fraud_decision: str | None
    fraud_reasons: tuple[FraudReason, ...]
    routing_explanation: str | None
    created_at: datetime
    completed_at: datetime | None
    latency_ms: float | None
    steps: Mapping[str, datetime] = field(default_factory=dict)
    timeline: tuple[TimelineStep, ...] = ()
    search_text: str = ""

    @property
    def embedding_text(self) -> str:
        """What the sentence-embedding model reads: the search text without its numbers (the routing
        probabilities, amounts in reasons). A sentence embedding matches meaning, not figures (BM25 still indexes
        them); without them the texts of different payments repeat, so the embedder's per-text cache answers most
        payments instead of running the model (~18 ms of CPU each)."""
        return " ".join(_NUMBERS.sub(" ", self.search_text or "").split())

    def __post_init__(self) -> None:
        # The guard lives in the constructor: a document holding a card number cannot exist.
        refuse_card_numbers(self.to_record())

    def to_record(self) -> dict[str, Any]:
        """Flat storage form shared by the adapters: nested lists as lists of dicts, steps as `<step>_at`."""
        record = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "steps"}
        for name in ("gateways_tried", "failure_codes"):
            record[name] = list(record[name])
        for name in ("attempts", "fraud_reasons", "timeline"):
            record[name] = [dataclasses.asdict(item) for item in record[name]]
        for step in STEPS:
            record[f"{step}_at"] = self.steps.get(step)
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> PaymentDocument:
        names = {f.name for f in dataclasses.fields(cls)} - {"steps"}
        values = {k: v for k, v in record.items() if k in names}
        values["gateways_tried"] = tuple(values.get("gateways_tried") or ())
        values["failure_codes"] = tuple(values.get("failure_codes") or ())
        values["attempts"] = tuple(Attempt(**a) for a in values.get("attempts") or ())
        values["fraud_reasons"] = tuple(FraudReason(**r) for r in values.get("fraud_reasons") or ())
        values["timeline"] = tuple(TimelineStep(**t) for t in values.get("timeline") or ())
        places = Decimal(1).scaleb(-int(values["currency_exponent"]))
        for name in ("amount", "captured_amount", "refunded_amount"):  # engines widen the scale: restore it
            values[name] = Decimal(str(values[name])).quantize(places)
        steps = {s: record[f"{s}_at"] for s in STEPS if record.get(f"{s}_at") is not None}
        return cls(**values, steps=steps)


def _state_key(state: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", state.strip().lower()).strip("_")


def glossary_status(snapshot: PaymentSnapshot) -> tuple[str, str | None]:
    """(status, decline_stage). A fraud decline is `declined_fraud`; a gateway decline counts as `failed`."""
    if snapshot.status != "declined":
        return snapshot.status, None
    fraud_declined = any(_state_key(t.state) == "fraud_declined" for t in snapshot.timeline)
    if fraud_declined or snapshot.fraud_decision == "decline" or not snapshot.attempts:
        return "declined_fraud", "fraud"
    return "failed", "gateway"


def _check(snapshot: PaymentSnapshot) -> None:
    if snapshot.captured_amount > snapshot.amount:
        raise InvalidPayment(f"captured_amount {snapshot.captured_amount} exceeds amount {snapshot.amount}")
    if snapshot.refunded_amount > snapshot.captured_amount:
        raise InvalidPayment(
            f"refunded_amount {snapshot.refunded_amount} exceeds captured_amount {snapshot.captured_amount}")
    if snapshot.completed_at and snapshot.completed_at < snapshot.created_at:
        raise InvalidPayment("completed_at is before created_at")


def build_document(merchant_id: str, payment_id: str, snapshot: PaymentSnapshot) -> PaymentDocument:
    _check(snapshot)
    status, stage = glossary_status(snapshot)
    attempts = tuple(sorted((Attempt(a.attempt, a.gateway, a.outcome, a.code, a.latency_ms)
                             for a in snapshot.attempts), key=lambda a: a.attempt))
    gateway = attempts[-1].gateway if attempts else snapshot.gateway
    first = attempts[0].gateway if attempts else gateway
    reasons = tuple(FraudReason(r.feature, r.contribution, r.description) for r in sorted(
        snapshot.fraud_reasons, key=lambda r: abs(r.contribution), reverse=True)[:TOP_FRAUD_REASONS])
    timeline = tuple(TimelineStep(t.state, t.at, t.detail) for t in sorted(snapshot.timeline, key=lambda t: t.at))
    steps: dict[str, datetime] = {}
    for entry in timeline:
        key = _state_key(entry.state)
        if key in STEPS:
            steps.setdefault(key, entry.at)
    latency = ((snapshot.completed_at - snapshot.created_at).total_seconds() * 1000
               if snapshot.completed_at else None)
    codes = tuple(a.code for a in attempts if a.outcome != "captured" and a.code)
    text = " ".join(filter(None, [snapshot.decline_code, snapshot.decline_reason, *codes,
                                  *(r.description for r in reasons), snapshot.routing_explanation]))
    money = snapshot.currency
    return PaymentDocument(
        payment_id=payment_id, merchant_id=merchant_id, version=snapshot.version, status=status,
        saga_status=snapshot.status, approved=status in APPROVED, decline_stage=stage,
        amount_minor=snapshot.amount, amount=currencies.to_decimal(snapshot.amount, money), currency=money,
        currency_exponent=currencies.exponent(money),
        captured_amount_minor=snapshot.captured_amount,
        captured_amount=currencies.to_decimal(snapshot.captured_amount, money),
        refunded_amount_minor=snapshot.refunded_amount,
        refunded_amount=currencies.to_decimal(snapshot.refunded_amount, money),
        method=snapshot.method, card_last4=snapshot.card_last4, country=snapshot.country,
        merchant_category=snapshot.merchant_category, customer_id=snapshot.customer_id,
        gateway=gateway, first_gateway=first, gateways_tried=tuple(dict.fromkeys(a.gateway for a in attempts)),
        attempts_count=len(attempts), fallbacks=max(len(attempts) - 1, 0),
        fell_back=bool(attempts) and first != gateway, attempts=attempts, failure_codes=codes,
        decline_code=snapshot.decline_code, decline_reason=snapshot.decline_reason,
        fraud_score=snapshot.fraud_score, fraud_decision=snapshot.fraud_decision, fraud_reasons=reasons,
        routing_explanation=snapshot.routing_explanation, created_at=snapshot.created_at,
        completed_at=snapshot.completed_at, latency_ms=latency, steps=steps, timeline=timeline, search_text=text,
    )


def build_pending_document(request: PaymentRequested, requested_at: datetime) -> PaymentDocument:
    """An in-flight payment, from its first event: status `pending` (METRICS.md), the request's facts, no
    outcome yet. `requested_at` is the event's `occurred_at`: the payment service stamps payment.requested with
    the record's creation time, so windows put the payment where its terminal snapshot will."""
    money = request.currency
    zero = currencies.to_decimal(0, money)
    return PaymentDocument(
        payment_id=request.payment_id, merchant_id=request.merchant_id, version=REQUESTED_VERSION,
        status="pending", saga_status="requested", approved=False, decline_stage=None,
        amount_minor=request.amount, amount=currencies.to_decimal(request.amount, money), currency=money,
        currency_exponent=currencies.exponent(money), captured_amount_minor=0, captured_amount=zero,
        refunded_amount_minor=0, refunded_amount=zero, method=request.payment_method.type,
        card_last4=request.payment_method.last4, country=request.country,
        merchant_category=request.merchant_category, customer_id=request.customer_id, gateway=None,
        first_gateway=None, gateways_tried=(), attempts_count=0, fallbacks=0, fell_back=False, attempts=(),
        failure_codes=(), decline_code=None, decline_reason=None, fraud_score=None, fraud_decision=None,
        fraud_reasons=(), routing_explanation=None, created_at=requested_at, completed_at=None, latency_ms=None,
        steps={"requested": requested_at}, timeline=(TimelineStep("REQUESTED", requested_at),), search_text="",
    )
