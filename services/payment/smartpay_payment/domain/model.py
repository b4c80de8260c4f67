"""The payment saga as pure functions: each transition takes the record and returns the next record
plus the events to emit, or raises Stale (duplicate/out-of-date: a no-op) or NotYet (arrived early)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
_SNAPSHOT_STATUS = {State.CAPTURED: "captured", State.INDEXED: "captured", State.FRAUD_DECLINED: "declined",
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
    def refundable_amount(self) -> int:
        pending = sum(r.amount for r in self.refunds if r.status == "pending")
        return self.captured_amount - self.refunded_amount - pending

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
        status = _SNAPSHOT_STATUS.get(self.state)
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


def _ids(payment: Payment) -> dict[str, str]:
    return {"payment_id": payment.payment_id, "merchant_id": payment.merchant_id}


def _next(payment: Payment, state: State, now: datetime, detail: str | None = None, **changes: Any) -> Payment:
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


def start(request: p.PaymentRequested, now: datetime, gateway_tokens: dict[str, str] | None = None) -> Transition:
    fields = request.model_dump(exclude={"payment_method", "method_gateways"})
    payment = Payment(**fields, payment_method=request.payment_method, created_at=now, updated_at=now,
                      gateway_tokens=gateway_tokens or {},
                      timeline=[p.TimelineEntry(state=State.REQUESTED.value, at=now)])
    # Fraud passes the method's gateways on to routing, which then never picks one the method cannot pay on.
    request = request.model_copy(update={"method_gateways": payment.method_gateways()})
    return Transition(payment, payment, [request])


def fraud_assessed(payment: Payment, event: p.FraudAssessed, now: datetime,
                   claim: ChargeClaim | None = None) -> Transition:
    """The fraud result; a route that arrived before it (`early_route`) is applied in the same step, its
    charge claimed by `claim` (the delivery that commits this may charge)."""
    if payment.state != State.REQUESTED:
        raise Stale(f"fraud result for a payment in {payment.state}")
    info = {"fraud_score": event.score, "fraud_decision": event.decision, "fraud_reasons": list(event.reasons)}
    if event.decision == "decline":
        top = event.reasons[0].description if event.reasons else f"score {event.score:.2f}"
        after = _next(payment, State.FRAUD_DECLINED, now, f"fraud score {event.score:.3f}", **info,
                      decline_code="fraud_declined", decline_reason=top[:500])
        return Transition(payment, after, [
            p.PaymentDeclined(**_ids(payment), stage="fraud", code="fraud_declined", reason=top[:500]),
            p.PaymentCompleted(**_ids(payment), status="declined", payment=after.snapshot())])
    after = _next(payment, State.FRAUD_CHECKED, now, f"{event.decision} score {event.score:.3f}", **info)
    if payment.early_route is not None:
        return Transition(payment, route_selected(after, payment.early_route, now, claim).after, [])
    return Transition(payment, after, [])


def route_selected(payment: Payment, event: p.RouteSelected, now: datetime,
                   claim: ChargeClaim | None = None) -> Transition:
    """The route of the current attempt; `claim`: the delivery that records it may charge it. A route
    before the fraud result (routing heard fraud.assessed first) is kept for it: `fraud_assessed` applies it."""
    if payment.state == State.REQUESTED:
        if payment.early_route is not None or event.attempt != 1:
            raise Stale(f"route for attempt {event.attempt} before the fraud result, one already kept")
        return Transition(payment, payment.model_copy(update={"early_route": event, "version": payment.version + 1,
                                                              "updated_at": now}), [])
    if payment.state not in AWAITING_ROUTE or event.attempt != payment.attempt:
        raise Stale(f"route for attempt {event.attempt} while {payment.state} at attempt {payment.attempt}")
    after = _next(payment, State.ROUTED, now, f"attempt {event.attempt} on {event.gateway}",
                  gateway=event.gateway, tried_gateways=[*payment.tried_gateways, event.gateway],
                  routing_explanation=event.explanation, gateway_reference=None, charge_claim=claim)
    return Transition(payment, after, [])


def claim_charge(payment: Payment, owner: str, now: datetime, lease: timedelta) -> Transition:
    """Take (or renew) the right to call the gateway for the current attempt: refused while another
    owner's claim is live; a claim past its lease (its worker died) is taken over."""
    if payment.state not in CHARGING:
        raise Stale(f"charge claim while {payment.state}")
    held = payment.charge_claim
    if held is not None and held.owner != owner and held.until > now:
        raise ChargeClaimed(f"attempt {payment.attempt} of {payment.payment_id} is being charged by another "
                            f"delivery until {held.until.isoformat()}",
                            retry_after_seconds=int((held.until - now).total_seconds()) + 1)
    after = payment.model_copy(update={"version": payment.version + 1, "updated_at": now,
                                       "charge_claim": ChargeClaim(owner=owner, until=now + lease)})
    return Transition(payment, after, [])


def release_charge(payment: Payment, owner: str, now: datetime) -> Transition:
    """A live charger that stops without an outcome (a retriable gateway error goes back to the queue)
    lets go of its claim, so the redelivery need not wait out the lease."""
    if payment.state not in CHARGING or payment.charge_claim is None or payment.charge_claim.owner != owner:
        raise Stale(f"no claim of {owner} to release while {payment.state}")
    return Transition(payment, payment.model_copy(update={"version": payment.version + 1, "updated_at": now,
                                                          "charge_claim": None}), [])


def authorized(payment: Payment, gateway_reference: str, latency_ms: float | None, now: datetime) -> Transition:
    if payment.state != State.ROUTED:
        raise Stale(f"authorization while {payment.state}")
    after = _next(payment, State.AUTHORIZED, now, payment.gateway, gateway_reference=gateway_reference)
    return Transition(payment, after, [p.PaymentAuthorized(
        **_ids(payment), attempt=payment.attempt, gateway=payment.gateway, gateway_reference=gateway_reference,
        amount=payment.amount, currency=payment.currency, latency_ms=latency_ms)])


def captured(payment: Payment, latency_ms: float | None, now: datetime) -> Transition:
    if payment.state != State.AUTHORIZED:
        raise Stale(f"capture while {payment.state}")
    summary = p.AttemptSummary(attempt=payment.attempt, gateway=payment.gateway, outcome="captured",
                               latency_ms=latency_ms)
    after = _next(payment, State.CAPTURED, now, payment.gateway, captured_amount=payment.amount,
                  attempts=[*payment.attempts, summary])
    return Transition(payment, after, [
        p.PaymentCaptured(**_ids(payment), attempt=payment.attempt, gateway=payment.gateway,
                          gateway_reference=payment.gateway_reference or "", amount=payment.amount,
                          currency=payment.currency, latency_ms=latency_ms),
        p.PaymentCompleted(**_ids(payment), status="captured", payment=after.snapshot())])


def attempt_failed(payment: Payment, *, code: str, reason: str, retriable: bool, declined: bool,
                   latency_ms: float | None, max_attempts: int, all_gateways: set[str], now: datetime,
                   risk_score: float = 0.0, attempted: bool = True) -> Transition:
    """`attempted=False`: the gateway was never called (no connector, or no token of the method there);
    the payment.failed then names no gateway, so routing does not learn it as the gateway's failure."""
    if payment.state not in CHARGING:
        raise Stale(f"gateway failure while {payment.state}")
    outcome = "declined" if declined else ("timeout" if code == "timeout" else "failed")
    summary = p.AttemptSummary(attempt=payment.attempt, gateway=payment.gateway, outcome=outcome,
                               code=code[:64], latency_ms=latency_ms)
    attempts = [*payment.attempts, summary]
    left = all_gateways - set(payment.tried_gateways)
    failed = p.PaymentFailed(**_ids(payment), attempt=payment.attempt, gateway=payment.gateway if attempted else None,
                             code=code[:64],
                             reason=reason[:500], retriable=False, latency_ms=latency_ms)
    if retriable and payment.attempt < max_attempts and left:
        after = _next(payment, State.REROUTING, now, f"{payment.gateway}: {code}", attempts=attempts,
                      attempt=payment.attempt + 1, gateway_reference=None)
        return Transition(payment, after, [
            failed.model_copy(update={"retriable": True}),
            p.RouteRequested(**_ids(payment), attempt=after.attempt, excluded_gateways=sorted(payment.tried_gateways),
                             reason=f"{payment.gateway} failed: {code}"[:500], payment=payment.context(),
                             risk_score=payment.fraud_score if payment.fraud_score is not None else risk_score)])
    state = State.DECLINED if declined else State.FAILED
    after = _next(payment, state, now, f"{payment.gateway}: {code}", attempts=attempts, decline_code=code[:64],
                  decline_reason=reason[:500])
    events: list[BaseModel] = [failed]
    if declined:
        events.append(p.PaymentDeclined(**_ids(payment), stage="gateway", code=code[:64], reason=reason[:500]))
    events.append(p.PaymentCompleted(**_ids(payment), status="declined" if declined else "failed",
                                     payment=after.snapshot()))
    return Transition(payment, after, events)


def saga_failed(payment: Payment, *, code: str, reason: str, now: datetime, attempt: int | None = None) -> Transition:
    """No gateway (route.unavailable) or the deadline passed before money moved."""
    if payment.state in TERMINAL:
        raise Stale(f"saga already {payment.state}")
    if attempt is not None and attempt != payment.attempt:
        raise Stale(f"failure for attempt {attempt} while at attempt {payment.attempt}")
    after = _next(payment, State.FAILED, now, code, decline_code=code[:64], decline_reason=reason[:500])
    return Transition(payment, after, [
        p.PaymentFailed(**_ids(payment), attempt=payment.attempt, gateway=payment.gateway if payment.state in CHARGING
                        else None, code=code[:64], reason=reason[:500], retriable=False),
        p.PaymentCompleted(**_ids(payment), status="failed", payment=after.snapshot())])


def indexed(payment: Payment, event: p.PaymentIndexed, now: datetime) -> Transition:
    if payment.state not in TERMINAL or (payment.indexed_version or 0) >= event.document_version:
        raise Stale(f"index confirmation v{event.document_version} while {payment.state}")
    state = State.INDEXED if payment.state == State.CAPTURED else payment.state
    after = _next(payment, state, now, f"{event.index} v{event.document_version}",
                  indexed_version=event.document_version)
    return Transition(payment, after, [])


def refund_reserved(payment: Payment, amount: int | None, reason: str, now: datetime) -> tuple[Transition, Refund]:
    if payment.state not in REFUNDABLE:
        raise RefundRefused(f"a payment in {payment.state} cannot be refunded")
    amount = payment.refundable_amount if amount is None else amount
    if amount <= 0 or amount > payment.refundable_amount:
        raise RefundRefused(f"refund of {amount} exceeds the refundable {payment.refundable_amount}")
    refund = Refund(number=len(payment.refunds) + 1, amount=amount, reason=reason)
    after = payment.model_copy(update={"refunds": [*payment.refunds, refund], "version": payment.version + 1,
                                       "updated_at": now})
    return Transition(payment, after, []), refund


def refund_settled(payment: Payment, number: int, refund_id: str | None, now: datetime) -> Transition:
    """The gateway refunded (refund_id) or refused (None) reserved refund `number`."""
    refund = next((r for r in payment.refunds if r.number == number), None)
    if refund is None or refund.status != "pending":
        raise Stale(f"refund {number} is not pending")
    if refund_id is None:
        refunds = [r.model_copy(update={"status": "refused"}) if r.number == number else r for r in payment.refunds]
        return Transition(payment, payment.model_copy(update={"refunds": refunds, "version": payment.version + 1,
                                                              "updated_at": now}), [])
    refunds = [r.model_copy(update={"status": "succeeded", "refund_id": refund_id}) if r.number == number else r
               for r in payment.refunds]
    interim = payment.model_copy(update={"refunds": refunds})
    if refund.compensation:
        state = payment.state
    else:
        state = State.REFUNDED if interim.refunded_amount >= interim.captured_amount else State.PARTIALLY_REFUNDED
    after = _next(interim, state, now, f"refund {number}: {refund.amount}")
    if state not in _SNAPSHOT_STATUS:  # a compensation while another attempt is in flight: timeline only
        return Transition(payment, after, [])
    events: list[BaseModel] = [p.PaymentRefunded(
        **_ids(payment), gateway=payment.gateway, refund_id=refund_id, amount=refund.amount,
        currency=payment.currency, total_refunded=after.refunded_amount, reason=refund.reason[:500] or "refund",
        payment=after.snapshot())]
    if state == State.REFUNDED:
        events.append(p.PaymentCompleted(**_ids(payment), status="refunded", payment=after.snapshot()))
    return Transition(payment, after, events)


def late_capture_found(payment: Payment, gateway: str, gateway_reference: str, amount: int,
                       now: datetime) -> tuple[Transition, Refund]:
    """Money moved for an attempt the saga has left behind (it failed meanwhile, or another attempt
    won): record the charge and reserve its compensation refund, so the ledger nets to what was kept."""
    if any(r.compensation and r.reason.endswith(gateway_reference) for r in payment.refunds):
        raise Stale("compensation already recorded")
    refund = Refund(number=len(payment.refunds) + 1, amount=amount, compensation=True,
                    reason=f"compensation for {gateway_reference}", gateway=gateway,
                    gateway_reference=gateway_reference)
    changes: dict[str, Any] = {"captured_amount": payment.captured_amount + amount,
                               "refunds": [*payment.refunds, refund]}
    if payment.state == State.FAILED and not payment.gateway_reference:
        changes.update(gateway=gateway, gateway_reference=gateway_reference)
    after = _next(payment, payment.state, now, f"late capture on {gateway}; compensating", **changes)
    return Transition(payment, after, []), refund
