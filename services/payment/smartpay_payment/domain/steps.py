"""The saga's steps as pure functions: each takes the record and returns the next record plus the events
to emit (a Transition), or raises Stale (a duplicate or overtaken event: a no-op) or NotYet (arrived early)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel

from smartpay_payment.domain.model import (AWAITING_ROUTE, CHARGING, TERMINAL, ChargeClaim, ChargeClaimed, Payment,
                                           Stale, State, Transition, advance, ids_of)
from smartpay_shared.events import payloads as p


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
        after = advance(payment, State.FRAUD_DECLINED, now, f"fraud score {event.score:.3f}", **info,
                      decline_code="fraud_declined", decline_reason=top[:500])
        return Transition(payment, after, [
            p.PaymentDeclined(**ids_of(payment), stage="fraud", code="fraud_declined", reason=top[:500]),
            p.PaymentCompleted(**ids_of(payment), status="declined", payment=after.snapshot())])
    after = advance(payment, State.FRAUD_CHECKED, now, f"{event.decision} score {event.score:.3f}", **info)
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
    after = advance(payment, State.ROUTED, now, f"attempt {event.attempt} on {event.gateway}",
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
    after = advance(payment, State.AUTHORIZED, now, payment.gateway, gateway_reference=gateway_reference)
    return Transition(payment, after, [p.PaymentAuthorized(
        **ids_of(payment), attempt=payment.attempt, gateway=payment.gateway, gateway_reference=gateway_reference,
        amount=payment.amount, currency=payment.currency, latency_ms=latency_ms)])


def captured(payment: Payment, latency_ms: float | None, now: datetime) -> Transition:
    if payment.state != State.AUTHORIZED:
        raise Stale(f"capture while {payment.state}")
    summary = p.AttemptSummary(attempt=payment.attempt, gateway=payment.gateway, outcome="captured",
                               latency_ms=latency_ms)
    after = advance(payment, State.CAPTURED, now, payment.gateway, captured_amount=payment.amount,
                  attempts=[*payment.attempts, summary])
    return Transition(payment, after, [
        p.PaymentCaptured(**ids_of(payment), attempt=payment.attempt, gateway=payment.gateway,
                          gateway_reference=payment.gateway_reference or "", amount=payment.amount,
                          currency=payment.currency, latency_ms=latency_ms, customer_id=payment.customer_id),
        p.PaymentCompleted(**ids_of(payment), status="captured", payment=after.snapshot())])


def authorized_and_captured(payment: Payment, gateway_reference: str, authorize_latency_ms: float | None,
                            authorized_at: datetime, capture_latency_ms: float | None, now: datetime) -> Transition:
    """`authorized` then `captured` as one transition (both stages on the timeline, each at its own time; both
    steps' events): the saga's happy path records an authorization and its capture in one conditional write."""
    first = authorized(payment, gateway_reference, authorize_latency_ms, authorized_at)
    second = captured(first.after, capture_latency_ms, now)
    return Transition(payment, second.after, [*first.events, *second.events])


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
    failed = p.PaymentFailed(**ids_of(payment), attempt=payment.attempt, gateway=payment.gateway if attempted else None,
                             code=code[:64],
                             reason=reason[:500], retriable=False, latency_ms=latency_ms)
    if retriable and payment.attempt < max_attempts and left:
        after = advance(payment, State.REROUTING, now, f"{payment.gateway}: {code}", attempts=attempts,
                      attempt=payment.attempt + 1, gateway_reference=None)
        return Transition(payment, after, [
            failed.model_copy(update={"retriable": True}),
            p.RouteRequested(**ids_of(payment), attempt=after.attempt, excluded_gateways=sorted(payment.tried_gateways),
                             reason=f"{payment.gateway} failed: {code}"[:500], payment=payment.context(),
                             risk_score=payment.fraud_score if payment.fraud_score is not None else risk_score)])
    state = State.DECLINED if declined else State.FAILED
    after = advance(payment, state, now, f"{payment.gateway}: {code}", attempts=attempts, decline_code=code[:64],
                  decline_reason=reason[:500])
    events: list[BaseModel] = [failed]
    if declined:
        events.append(p.PaymentDeclined(**ids_of(payment), stage="gateway", code=code[:64], reason=reason[:500]))
    events.append(p.PaymentCompleted(**ids_of(payment), status="declined" if declined else "failed",
                                     payment=after.snapshot()))
    return Transition(payment, after, events)


def saga_failed(payment: Payment, *, code: str, reason: str, now: datetime, attempt: int | None = None) -> Transition:
    """No gateway (route.unavailable) or the deadline passed before money moved."""
    if payment.state in TERMINAL:
        raise Stale(f"saga already {payment.state}")
    if attempt is not None and attempt != payment.attempt:
        raise Stale(f"failure for attempt {attempt} while at attempt {payment.attempt}")
    after = advance(payment, State.FAILED, now, code, decline_code=code[:64], decline_reason=reason[:500])
    return Transition(payment, after, [
        p.PaymentFailed(**ids_of(payment), attempt=payment.attempt, gateway=payment.gateway if payment.state in CHARGING
                        else None, code=code[:64], reason=reason[:500], retriable=False),
        p.PaymentCompleted(**ids_of(payment), status="failed", payment=after.snapshot())])


def indexed(payment: Payment, event: p.PaymentIndexed, now: datetime) -> Transition:
    if payment.state not in TERMINAL or (payment.indexed_version or 0) >= event.document_version:
        raise Stale(f"index confirmation v{event.document_version} while {payment.state}")
    state = State.INDEXED if payment.state == State.CAPTURED else payment.state
    after = advance(payment, state, now, f"{event.index} v{event.document_version}",
                  indexed_version=event.document_version)
    return Transition(payment, after, [])
