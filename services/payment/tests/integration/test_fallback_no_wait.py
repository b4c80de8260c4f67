"""Fallback without waiting on a visibility timeout (issue #14, item 3), on a real queue: the payment
worker (the real queue consumer under the shared SQS worker) on a moto SQS queue with the local stack's
visibility timeout (5 s) and redrive policy, fed by the bus; fraud and routing played by a stand-in
(testing/saga_stack.py); the real connectors (localstripe, the Amazon Pay sandbox). Faults are injected
by the payment's own `smartpay_fault` directive. Each payment must end captured on the next gateway with
no stage of its timeline as long as one visibility timeout, one charge in all, and nothing dead-lettered."""

import json
import time
import uuid

import pytest
from typer.testing import CliRunner

from smartpay_payment import bootstrap
from smartpay_payment.domain.model import TERMINAL, State
from smartpay_payment.domain.timeline import stages
from smartpay_payment.entrypoints import cli, queue_consumer
from smartpay_payment.service_layer.reconcile import reconcile
from smartpay_payment.testing.saga_stack import LOCAL_VISIBILITY_SECONDS, SUBSCRIPTIONS, ServiceQueue, Upstream, Worker
from smartpay_payment.testing.servers import amazon_card_on_file, stripe_card
from smartpay_shared.manifest import load_manifest, services_dir

pytestmark = pytest.mark.integration
BUS = "smartpay-test-bus"  # conftest's


@pytest.fixture(params=["concurrent"])
def platform(request, stack, settings, gateways, monkeypatch):
    """The payment service on the real clock (the timeline is what is measured), wired for the worker, which
    runs as many invocations at once as the deployed function may (the manifest's max_concurrency), or one
    at a time ("serial": the order of two events is then the order they arrived in)."""
    concurrency = load_manifest(services_dir() / "payment").max_concurrency if request.param == "concurrent" else 1
    service = bootstrap.build(settings.model_copy(update={"fault_injection": True}), stack("dynamodb"),
                              stack("events"), gateways, BUS)
    monkeypatch.setattr(bootstrap, "service", lambda: service)
    with ServiceQueue(stack("sqs"), stack("events"), BUS, SUBSCRIPTIONS) as queue, \
            Worker(stack("sqs"), queue, queue_consumer.lambda_handler, "payment", concurrency):
        yield service, queue


def run(platform, stack, localstripe_server, amazon_sandbox, fault: str, route_first: bool = False):
    service, queue = platform
    vault_id = service.vault.enroll("m_acme", "c_1", {"stripe": stripe_card(localstripe_server.url),
                                                      "amazon_pay": amazon_card_on_file(amazon_sandbox.url)}).vault_id
    with Upstream(stack("sqs"), stack("events"), BUS, ["stripe", "amazon_pay"], route_first=route_first):
        status, body = service.pay("m_acme", {
            "amount": 1250, "currency": "USD", "customer_id": "c_1", "country": "US",
            "metadata": {"smartpay_fault": fault} if fault else {},
            "payment_method": {"type": "card", "vault_id": vault_id}}, uuid.uuid4().hex)
        assert status == 202
        deadline = time.monotonic() + 4 * LOCAL_VISIBILITY_SECONDS
        while (payment := service.saga.store.repo.get(body["payment_id"]).payment).state not in TERMINAL:
            assert time.monotonic() < deadline, f"still {payment.state}: {[t.state for t in payment.timeline]}"
            time.sleep(0.1)
    assert queue.dead_letters() == 0
    check = reconcile(service.saga, payment)
    assert check.ok and check.charges == 1, check
    return payment


def no_wait(payment):
    """No stage as long as the queue's visibility timeout: nothing waited for a redelivery."""
    rows = stages(payment)
    assert all(r.queued is not None for r in rows if r.cause and r.cause != "api" and r.upstream is not None)
    slowest = max(r.elapsed or 0 for r in rows)
    assert slowest < LOCAL_VISIBILITY_SECONDS * 1000, [(r.state, r.elapsed, r.queued) for r in rows]
    return rows


def test_an_authorization_failing_on_stripe_goes_straight_to_amazon_pay(platform, stack, localstripe_server,
                                                                         amazon_sandbox):
    payment = run(platform, stack, localstripe_server, amazon_sandbox, "stripe:5xx")
    assert payment.state == State.CAPTURED and payment.tried_gateways == ["stripe", "amazon_pay"]
    rows = no_wait(payment)
    assert [r.state for r in rows] == ["REQUESTED", "FRAUD_CHECKED", "ROUTED", "REROUTING", "ROUTED", "AUTHORIZED",
                                       "CAPTURED"]
    causes = [r.cause for r in rows][2:]
    # Handled concurrently, the first route.selected can beat fraud.assessed: it is kept (early_route) and the
    # fraud result routes with it. Every later stage is the route's.
    assert causes[0] in ("route.selected", "fraud.assessed") and causes[1:] == ["route.selected"] * 4, causes


def test_a_capture_failing_on_stripe_is_voided_and_goes_straight_to_amazon_pay(platform, stack, localstripe_server,
                                                                                amazon_sandbox):
    payment = run(platform, stack, localstripe_server, amazon_sandbox, "stripe.capture:5xx")
    assert payment.state == State.CAPTURED and payment.tried_gateways == ["stripe", "amazon_pay"]
    assert [(a.gateway, a.outcome) for a in payment.attempts] == [("stripe", "failed"), ("amazon_pay", "captured")]
    no_wait(payment)
    assert platform[0].saga.ledgers["stripe"].held(payment, 1).status == "voided"  # no hold left behind

    runner = CliRunner()
    shown = runner.invoke(cli.app, ["timeline", payment.payment_id, "--merchant", "m_acme"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "REROUTING" in shown.output and "route.selected" in shown.output and "queued" in shown.output
    rows = json.loads(runner.invoke(cli.app, ["timeline", payment.payment_id, "--json"]).output)
    assert [r["state"] for r in rows] == [t.state for t in payment.timeline]
    assert rows[1]["cause"] == "fraud.assessed" and rows[1]["queued"] >= 0 and rows[1]["handling"] >= 0
    other = runner.invoke(cli.app, ["timeline", payment.payment_id, "--merchant", "m_other"])
    assert other.exit_code == 1 and "no payment" in other.output


@pytest.mark.parametrize("platform", ["serial"], indirect=True)
def test_a_route_arriving_before_the_fraud_result_is_charged_with_it(platform, stack, localstripe_server,
                                                                      amazon_sandbox):
    payment = run(platform, stack, localstripe_server, amazon_sandbox, "", route_first=True)
    assert payment.state == State.CAPTURED and payment.tried_gateways == ["stripe"]
    assert payment.early_route is not None  # it did arrive first, and was kept
    no_wait(payment)
