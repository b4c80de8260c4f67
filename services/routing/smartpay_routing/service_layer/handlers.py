"""Event handlers: catalog payloads in, use cases called, `route.selected` envelopes out. Thin by design."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from smartpay_shared.events import Envelope, Producer, new_envelope
from smartpay_shared.events.payloads import (FraudAssessed, PaymentCaptured, PaymentContext, PaymentFailed,
                                             RouteRequested, RouteSelected, RouteUnavailable)

from smartpay_routing.domain.errors import NoEligibleGateway, UnsupportedPayment
from smartpay_routing.domain.model import Outcome, RouteContext
from smartpay_routing.service_layer.routing import RoutingService

Publish = Callable[[Envelope], None]
_IDS = uuid.UUID("6f1c7a52-3f0e-4d7b-9a51-2d8e4b7f0c11")


def route_context(merchant_id: str, payment: PaymentContext, risk_score: float, hour: int) -> RouteContext:
    return RouteContext(merchant_id=merchant_id, amount=payment.amount, currency=payment.currency,
                        method=payment.method, country=payment.country,
                        merchant_category=payment.merchant_category, risk_score=risk_score, hour=hour,
                        method_gateways=tuple(payment.gateways) if payment.gateways is not None else None)


def _selected(cause: Envelope, merchant_id: str, attempt: int, record: dict, producer: Producer) -> Envelope:
    payment_id = cause.metadata.correlation_id
    data = RouteSelected(payment_id=payment_id, merchant_id=merchant_id, attempt=attempt,
                         gateway=record["gateway"], fallbacks=record["fallbacks"],
                         propensity=record["propensity"], policy_version=record["policy_version"],
                         explanation=record["explanation"][:2000])
    # One event id per (payment, attempt): a redelivered request re-publishes the same event, which
    # downstream consumers dedupe.
    event_id = str(uuid.uuid5(_IDS, f"route.selected:{payment_id}:{attempt}"))
    return new_envelope(data, producer=producer, correlation_id=payment_id, causation=cause.metadata,
                        idempotency_key=f"{payment_id}:{attempt}", event_id=event_id)


def _unavailable(cause: Envelope, merchant_id: str, attempt: int, error: Exception, producer: Producer) -> Envelope:
    """No gateway can take the payment: the saga hears it at once instead of waiting for a deadline."""
    payment_id = cause.metadata.correlation_id
    code = "unsupported_payment" if isinstance(error, UnsupportedPayment) else "no_eligible_gateway"
    data = RouteUnavailable(payment_id=payment_id, merchant_id=merchant_id, attempt=attempt, code=code,
                            reason=str(error)[:500])
    event_id = str(uuid.uuid5(_IDS, f"route.unavailable:{payment_id}:{attempt}"))
    return new_envelope(data, producer=producer, correlation_id=payment_id, causation=cause.metadata,
                        idempotency_key=f"{payment_id}:{attempt}", event_id=event_id)


def _route(envelope: Envelope, service: RoutingService, publish: Publish, producer: Producer, *,
           merchant_id: str, attempt: int, ctx: RouteContext, excluded: frozenset[str] = frozenset()) -> None:
    try:
        record = service.select_route(envelope.metadata.correlation_id, attempt, ctx, excluded)
    except (UnsupportedPayment, NoEligibleGateway) as e:
        publish(_unavailable(envelope, merchant_id, attempt, e, producer))
        return
    publish(_selected(envelope, merchant_id, attempt, record, producer))


def on_fraud_assessed(envelope: Envelope, service: RoutingService, publish: Publish, producer: Producer) -> None:
    data: FraudAssessed = envelope.data  # type: ignore[assignment]
    if data.decision == "decline":
        raise ValueError("fraud.assessed with decision decline must not reach routing (check the rule filter)")
    ctx = route_context(data.merchant_id, data.payment, data.score, envelope.metadata.occurred_at.hour)
    _route(envelope, service, publish, producer, merchant_id=data.merchant_id, attempt=1, ctx=ctx)


def on_route_requested(envelope: Envelope, service: RoutingService, publish: Publish, producer: Producer) -> None:
    data: RouteRequested = envelope.data  # type: ignore[assignment]
    ctx = route_context(data.merchant_id, data.payment, data.risk_score, envelope.metadata.occurred_at.hour)
    _route(envelope, service, publish, producer, merchant_id=data.merchant_id, attempt=data.attempt, ctx=ctx,
           excluded=frozenset(data.excluded_gateways))


def on_payment_captured(envelope: Envelope, service: RoutingService) -> str:
    data: PaymentCaptured = envelope.data  # type: ignore[assignment]
    return service.record_outcome(Outcome(data.payment_id, data.attempt, data.gateway, approved=True,
                                          gateway_error=False, latency_ms=data.latency_ms))


def on_payment_failed(envelope: Envelope, service: RoutingService) -> str:
    data: PaymentFailed = envelope.data  # type: ignore[assignment]
    if data.gateway is None:
        return "not_a_gateway_attempt"  # the saga failed before any gateway was called: nothing to learn
    return service.record_outcome(Outcome(data.payment_id, data.attempt, data.gateway, approved=False,
                                          gateway_error=data.retriable, latency_ms=data.latency_ms))
