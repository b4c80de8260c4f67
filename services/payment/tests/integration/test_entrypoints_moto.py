"""The Lambda entrypoints as deployed: settings from the environment, adapters wired by bootstrap,
the queue consumer and the API handler driving one payment on moto + localstripe."""

import json

import pytest
import stripe

from smartpay_payment import bootstrap
from smartpay_payment.config import PaymentSettings, payment_settings
from smartpay_payment.domain.model import State
from smartpay_payment.entrypoints import queue_consumer
from smartpay_payment.testing.api_events import call
from smartpay_payment.testing.stack import create_tables, sqs_event
from smartpay_shared.config import platform_settings
from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Producer, new_envelope
from smartpay_shared.runtime.lambda_context import LocalLambdaContext

pytestmark = pytest.mark.integration


@pytest.fixture
def deployed(aws, monkeypatch, localstripe_server):
    monkeypatch.setenv("PAYMENT_GATEWAYS", "stripe")
    monkeypatch.setenv("PAYMENT_STRIPE_API_BASE", localstripe_server.url)
    monkeypatch.setenv("PAYMENT_STRIPE_API_KEY", "sk_test_local")  # tests-only explicit key (no secret on moto)
    monkeypatch.setenv("SMARTPAY_BUS_NAME", "smartpay-entry-bus")
    for cached in (bootstrap.service, payment_settings, platform_settings):
        cached.cache_clear()
    create_tables(aws("dynamodb"), PaymentSettings())
    aws("events").create_event_bus(Name="smartpay-entry-bus")
    yield
    for cached in (bootstrap.service, payment_settings, platform_settings):
        cached.cache_clear()


def test_one_payment_through_the_deployed_handlers(deployed, localstripe_server):
    client = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe_server.url})
    token = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id
    status, body = call("POST", "/pay", {"amount": 4200, "currency": "USD", "customer_id": "c_9",
                                         "payment_method": {"type": "card", "token": token}},
                        headers={"Idempotency-Key": "entry-1"})
    assert status == 202
    pid = body["payment_id"]
    producer = Producer(service="routing", version="0.1.0")
    events = [new_envelope(p.FraudAssessed(payment_id=pid, merchant_id="m_acme", score=0.2, decision="review",
                                           model_version="m", threshold_version="t",
                                           payment=p.PaymentContext(amount=4200, currency="USD", method="card")),
                           producer=producer, correlation_id=pid),
              new_envelope(p.RouteSelected(payment_id=pid, merchant_id="m_acme", attempt=1, gateway="stripe",
                                           propensity=1.0, policy_version="v", explanation="e"),
                           producer=producer, correlation_id=pid)]
    for envelope in events:
        result = queue_consumer.lambda_handler(sqs_event(envelope), LocalLambdaContext("payment"))
        assert result == {"batchItemFailures": []}
    payment = bootstrap.service().saga.store.repo.get(pid).payment
    assert payment.state == State.CAPTURED and payment.fraud_decision == "review"
    assert json.loads(json.dumps(call("GET", f"/payments/{pid}", resource="/payments/{payment_id}",
                                      params={"payment_id": pid})[1]))["captured_amount"] == 4200


def test_the_scheduled_sweeper_fails_a_saga_past_its_deadline(deployed, monkeypatch):
    from smartpay_payment.entrypoints import sweeper
    from smartpay_payment.testing.builders import requested

    monkeypatch.setenv("PAYMENT_SAGA_DEADLINE_SECONDS", "1")
    payment_settings.cache_clear()
    bootstrap.service.cache_clear()
    service = bootstrap.service()
    import time
    service.saga.start(requested(payment_id="pay_sweeplambda01"))
    time.sleep(2.1)  # deadline_at is stored in whole seconds; the sweeper compares with the clock
    result = sweeper.lambda_handler({}, LocalLambdaContext("payment-sweeper"))
    assert result["failed"] == 1 and result["errors"] == 0
    assert service.saga.store.repo.get("pay_sweeplambda01").payment.state == State.FAILED
