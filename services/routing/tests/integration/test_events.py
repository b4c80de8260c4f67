"""The queue Lambda on a real moto bus: fraud.assessed in -> route.selected out, route.requested excluding
tried gateways, outcomes learnt once, an unroutable payment failing its record (-> DLQ after retries)."""

import json
import time

import pytest

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import (FraudAssessed, PaymentCaptured, PaymentContext, PaymentFailed,
                                             RouteRequested)
from smartpay_shared.manifest import load_manifest, services_dir
from smartpay_shared.runtime.publisher import EventPublisher
from smartpay_shared.runtime.worker import SqsWorker
from smartpay_shared.testing import EventListener

from smartpay_routing.entrypoints import queue_consumer

pytestmark = pytest.mark.integration
BUS = "smartpay-bus"
CARD_EUR = PaymentContext(amount=4200, currency="EUR", method="card", country="DE", merchant_category="retail")


@pytest.fixture
def stack(aws):
    """The routing queue with the manifest's rules, a worker calling the real Lambda handler, a listener."""
    queue_consumer.service.cache_clear()
    queue_consumer.publisher.cache_clear()
    events, sqs = aws("events"), aws("sqs")
    url = sqs.create_queue(QueueName="smartpay-routing", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for sub in load_manifest(services_dir() / "routing").subscriptions:
        pattern = {"detail-type": [sub.event_type]}
        if sub.detail_filter:
            pattern["detail"] = sub.detail_filter
        name = f"routing-{sub.rule_suffix}"
        events.put_rule(Name=name, EventBusName=BUS, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
    worker = SqsWorker(sqs, url, queue_consumer.lambda_handler, function_name="routing", region="us-east-1",
                       wait_time_seconds=1)
    with EventListener(events, sqs, BUS, {"detail-type": ["route.selected", "route.unavailable"]}) as listener:
        yield EventPublisher(events, BUS), worker, listener
    queue_consumer.service.cache_clear()
    queue_consumer.publisher.cache_clear()


def publish(publisher, data, service="payment"):
    envelope = new_envelope(data, producer=Producer(service=service, version="0.1.0"), correlation_id=data.payment_id)
    publisher.publish(envelope)
    return envelope


def drain(worker, expected, timeout=20.0):
    seen = {"ok": 0, "failed": 0}
    deadline = time.monotonic() + timeout
    while seen["ok"] + seen["failed"] < expected:
        assert time.monotonic() < deadline, f"worker handled {seen} of {expected} messages"
        result = worker.poll_once()
        seen["ok"] += result.succeeded
        seen["failed"] += result.failed
    return seen


def selected(listener, payment_id, attempt):
    def match(events):
        return [e for e in events if e["detail"]["data"]["payment_id"] == payment_id
                and e["detail"]["data"]["attempt"] == attempt]

    listener.wait_for(lambda events: bool(match(events)))
    return match(listener.seen)[0]


def test_fraud_assessed_to_route_selected_then_fallback_then_outcomes(stack):
    publisher, worker, listener = stack
    fraud = publish(publisher, FraudAssessed(payment_id="pay_EVT00001", merchant_id="m_acme", score=0.12,
                                             decision="approve", model_version="f1", threshold_version="t1",
                                             payment=CARD_EUR), service="fraud")
    assert drain(worker, 1) == {"ok": 1, "failed": 0}
    first = selected(listener, "pay_EVT00001", 1)
    data, meta = first["detail"]["data"], first["detail"]["metadata"]
    assert first["source"] == "smartpay.routing"
    assert data["gateway"] in {"stripe", "amazon_pay", "solana"}
    assert sorted([data["gateway"], *data["fallbacks"]]) == ["amazon_pay", "solana", "stripe"]
    assert 0 < data["propensity"] <= 1 and data["policy_version"] == "vw-untrained"
    assert "contextual bandit chose" in data["explanation"]
    assert meta["causation_id"] == fraud.metadata.event_id and meta["correlation_id"] == "pay_EVT00001"
    assert meta["producer"]["service"] == "routing"

    # the first gateway failed: payment asks again, excluding it
    tried = data["gateway"]
    publish(publisher, PaymentFailed(payment_id="pay_EVT00001", merchant_id="m_acme", attempt=1, gateway=tried,
                                     code="gateway_timeout", reason="timed out", retriable=True, latency_ms=5000))
    publish(publisher, RouteRequested(payment_id="pay_EVT00001", merchant_id="m_acme", attempt=2,
                                      excluded_gateways=[tried], reason="gateway_timeout", payment=CARD_EUR,
                                      risk_score=0.12))
    assert drain(worker, 2) == {"ok": 2, "failed": 0}
    second = selected(listener, "pay_EVT00001", 2)["detail"]["data"]
    assert second["gateway"] != tried and tried not in second["fallbacks"]

    captured = PaymentCaptured(payment_id="pay_EVT00001", merchant_id="m_acme", attempt=2,
                               gateway=second["gateway"], gateway_reference="ch_1", amount=4200, currency="EUR",
                               latency_ms=420)
    publish(publisher, captured)
    publish(publisher, captured)  # the bus delivers twice
    assert drain(worker, 2) == {"ok": 2, "failed": 0}
    service = queue_consumer.service()
    assert service.policy.total_updates == 2  # attempt 1 (failure) and attempt 2 (capture), not 3
    health = service.health.snapshot([tried, second["gateway"]], time.time())
    assert health[tried].window.errors == 1 and health[second["gateway"]].window.attempts == 1


def test_redelivered_fraud_assessed_republishes_the_same_decision(stack):
    publisher, worker, listener = stack
    data = FraudAssessed(payment_id="pay_EVT00002", merchant_id="m_acme", score=0.3, decision="review",
                         model_version="f1", threshold_version="t1", payment=CARD_EUR)
    publish(publisher, data, service="fraud")
    publish(publisher, data, service="fraud")
    assert drain(worker, 2) == {"ok": 2, "failed": 0}
    listener.wait_for(lambda events: len(events) >= 2)
    first, second = listener.seen[:2]
    assert first["detail"]["metadata"]["event_id"] == second["detail"]["metadata"]["event_id"]
    assert first["detail"]["data"] == second["detail"]["data"]


def test_unroutable_payment_emits_route_unavailable_with_the_reason(stack):
    publisher, worker, listener = stack
    publish(publisher, FraudAssessed(
        payment_id="pay_EVT00003", merchant_id="m_acme", score=0.1, decision="approve", model_version="f1",
        threshold_version="t1",
        payment=PaymentContext(amount=1000, currency="GBP", method="solana_wallet", country="GB")), service="fraud")
    assert drain(worker, 1) == {"ok": 1, "failed": 0}
    events = listener.wait_for(lambda seen: len(seen) >= 1)
    assert [e["detail-type"] for e in events] == ["route.unavailable"]
    assert "solana: currency GBP not supported" in events[0]["detail"]["data"]["reason"]
