"""Event handlers with in-memory stores: payloads in, route.selected envelopes out, outcomes routed."""

import random

import pytest

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import FraudAssessed, PaymentContext, PaymentFailed, RouteRequested

from smartpay_routing.adapters.memory import InMemoryCheckpointStore, InMemoryDecisionStore, InMemoryHealthStore
from smartpay_routing.adapters.vw_policy import VowpalPolicy, checkpoint_id_for
from smartpay_routing.domain.health import HealthConfig
from smartpay_routing.domain.router import Router
from smartpay_routing.service_layer import handlers
from smartpay_routing.service_layer.routing import RoutingService

ROUTING = Producer(service="routing", version="0.1.0")
CARD = PaymentContext(amount=4200, currency="EUR", method="card", country="DE")


@pytest.fixture
def service(catalog):
    policy = VowpalPolicy()
    return RoutingService(Router(catalog, policy, HealthConfig()), policy, InMemoryHealthStore(HealthConfig()),
                          InMemoryDecisionStore(), InMemoryCheckpointStore(), checkpoint_id_for=checkpoint_id_for,
                          rng=random.Random(0))


def envelope(data, service="payment"):
    return new_envelope(data, producer=Producer(service=service, version="0.1.0"), correlation_id=data.payment_id)


def fraud(decision="approve", payment=CARD):
    return envelope(FraudAssessed(payment_id="pay_HANDLER01", merchant_id="m_acme", score=0.4, decision=decision,
                                  model_version="f", threshold_version="t", payment=payment), "fraud")


def test_fraud_assessed_publishes_route_selected_caused_by_it(service):
    out = []
    cause = fraud()
    handlers.on_fraud_assessed(cause, service, out.append, ROUTING)
    (selected,) = out
    assert selected.event_type == "route.selected" and selected.data.attempt == 1
    assert selected.metadata.causation_id == cause.metadata.event_id
    assert selected.metadata.idempotency_key == "pay_HANDLER01:1"
    record = service.decisions.get("pay_HANDLER01", 1)
    assert record["context"]["risk_score"] == 0.4 and record["context"]["hour"] == cause.metadata.occurred_at.hour
    assert selected.data.gateway == record["gateway"] and selected.data.propensity == record["propensity"]


def test_route_requested_excludes_tried_gateways(service):
    out = []
    request = envelope(RouteRequested(payment_id="pay_HANDLER01", merchant_id="m_acme", attempt=3,
                                      excluded_gateways=["stripe", "solana"], reason="declined", payment=CARD,
                                      risk_score=0.2))
    handlers.on_route_requested(request, service, out.append, ROUTING)
    assert (out[0].data.gateway, out[0].data.fallbacks, out[0].data.attempt) == ("amazon_pay", [], 3)


def test_a_declined_payment_must_not_reach_routing(service):
    with pytest.raises(ValueError, match="decline"):
        handlers.on_fraud_assessed(fraud("decline"), service, [].append, ROUTING)


def test_an_unroutable_payment_is_announced_as_route_unavailable(service):
    unroutable = PaymentContext(amount=100, currency="GBP", method="solana_wallet", country="GB")
    out: list = []
    handlers.on_fraud_assessed(fraud(payment=unroutable), service, out.append, ROUTING)
    assert [e.event_type for e in out] == ["route.unavailable"]
    assert out[0].data.code == "no_eligible_gateway" and out[0].data.attempt == 1
    assert "solana: currency GBP not supported" in out[0].data.reason
    again: list = []
    handlers.on_fraud_assessed(fraud(payment=unroutable), service, again.append, ROUTING)
    assert again[0].metadata.event_id == out[0].metadata.event_id  # a redelivery republishes the same event


def test_failure_before_any_gateway_is_not_an_outcome(service):
    failed = envelope(PaymentFailed(payment_id="pay_HANDLER01", merchant_id="m_acme", attempt=1, gateway=None,
                                    code="saga_timeout", reason="stuck", retriable=False))
    assert handlers.on_payment_failed(failed, service) == "not_a_gateway_attempt"
