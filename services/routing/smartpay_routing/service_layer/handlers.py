"""Event handlers: catalog payloads in, use cases called, `route.selected` envelopes out. Thin by design."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from smartpay_shared.events import Envelope, Producer, new_envelope
from smartpay_shared.events.payloads import (FraudAssessed, PaymentCaptured, PaymentContext, PaymentFailed,
                                             RouteRequested, RouteSelected)

from smartpay_routing.domain.model import Outcome, RouteContext
from smartpay_routing.service_layer.routing import RoutingService

Publish = Callable[[Envelope], None]
_IDS = uuid.UUID("6f1c7a52-3f0e-4d7b-9a51-2d8e4b7f0c11")


def route_context(merchant_id: str, payment: PaymentContext, risk_score: float, hour: int) -> RouteContext:
    return RouteContext(merchant_id=merchant_id, amount=payment.amount, currency=payment.currency,
                        method=payment.method, country=payment.country,
                        merchant_category=payment.merchant_category, risk_score=risk_score, hour=hour)


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


def on_fraud_assessed(envelope: Envelope, service: RoutingService, publish: Publish, producer: Producer) -> None:
    data: FraudAssessed = envelope.data  # type: ignore[assignment]
    if data.decision == "decline":
        raise ValueError("fraud.assessed with decision decline must not reach routing (check the rule filter)")
    ctx = route_context(data.merchant_id, data.payment, data.score, envelope.metadata.occurred_at.hour)
    record = service.select_route(data.payment_id, 1, ctx)
    publish(_selected(envelope, data.merchant_id, 1, record, producer))


def on_route_requested(envelope: Envelope, service: RoutingService, publish: Publish, producer: Producer) -> None:
    data: RouteRequested = envelope.data  # type: ignore[assignment]
    ctx = route_context(data.merchant_id, data.payment, data.risk_score, envelope.metadata.occurred_at.hour)
    record = service.select_route(data.payment_id, data.attempt, ctx, frozenset(data.excluded_gateways))
    publish(_selected(envelope, data.merchant_id, data.attempt, record, producer))


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
