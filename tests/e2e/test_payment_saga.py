"""The payment saga end to end on the real local stack (moto + Terraform + every worker + the gateway +
localstripe, the Amazon Pay sandbox and the Solana sandbox), through POST /pay with a real Cognito
token: each gateway, a fraud decline, a fallback, duplicates, a killed worker, a poison message and
refunds. Every test ends with the ledger check: what the gateways hold per payment == the record.

A private stack (every port its own, Redis included): runs next to `make up` / `make demo` and other runs."""

import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest

from smartpay_payment.service_layer.reconcile import reconcile
from smartpay_payment.testing.local_stack import (Emulators, MerchantClient, process_spec, restart,
                                                 service_like_worker)
from smartpay_payment.testing.servers import amazon_checkout_session
from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events import payloads as p
from smartpay_shared.local.probe import handled_by, wait_for_handlers
from smartpay_shared.runtime.publisher import EventPublisher
from smartpay_shared.testing.stack import merchant_token
from smartpay_shared.testing import to_bus_event

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
SMARTPAY = str(Path(sys.executable).parent / "smartpay")
PASSWORD = "E2e-saga-merchant-Passw0rd!"
MERCHANT = "m_pinned_stripe"  # catalog.local.yaml pins its card payments to Stripe first
RUN = uuid.uuid4().hex[:6]  # unique customers and users per run (the stack, its Redis included, is fresh anyway)


@pytest.fixture(scope="module")
def saga_stack(shared_stack):
    return shared_stack


@pytest.fixture(scope="module")
def merchant(saga_stack):
    return MerchantClient(saga_stack["gateway_url"], merchant_token(f"saga-{RUN}@example.com", MERCHANT, PASSWORD,
                                                                    saga_stack), Emulators.of(saga_stack))


@pytest.fixture(scope="module")
def payments(saga_stack):
    """The payment service wired like the stack's worker: records and the ledger check."""
    return service_like_worker(saga_stack["processes"]["worker-payment"]["pid"])


def body(method: str, token: str | None = None, amount: int = 2500, customer: str | None = None, vault_id=None,
         **extra) -> dict:
    """A payment of an ordinary customer (a new one each time unless named: no velocity across tests)."""
    customer = customer or f"cus_{uuid.uuid4().hex[:8]}"
    reference = {"vault_id": vault_id} if vault_id else {"token": token}
    return {"amount": amount, "currency": "USD", "customer_id": f"{customer}_{RUN}", "country": "US",
            "device_id": f"dev_{customer}_{RUN}", "ip_address": "203.0.113.10",
            "payment_method": {"type": method, **reference}, **extra}


def accepted(response) -> str:
    assert response.status_code == 202, response.text
    return response.json()["payment_id"]


def balanced(payments, payment_id: str, charges: int):
    """The ledger check: every attempt's gateway holds exactly what the record says, in `charges` charges."""
    check = reconcile(payments.saga, payments.saga.store.repo.get(payment_id).payment)
    assert check.ok and check.charges == charges, check
    return check


def gateway_status(payments, payment_id: str) -> str | None:
    """What the gateway of the payment's current attempt holds for it (read by the attempt's reference)."""
    stored = payments.saga.store.repo.get(payment_id)
    if stored is None or stored.payment.gateway is None:
        return None
    payment = stored.payment
    found = payments.saga.gateways[payment.gateway].status(payments.saga.charge_request(payment))
    return found.status if found else None


def sol_wallet(payments, name: str) -> str:
    solana = payments.saga.gateways["solana"]
    owner = solana.wallets.customer(name).pubkey()
    solana.cluster.airdrop(owner, 2 * 10**9)
    solana.fund_token(owner, 500 * 10**6)
    return name


def publish(saga_stack, *envelopes):
    events = boto3.client("events", endpoint_url=saga_stack["aws_endpoint_url"], region_name="us-east-1")
    EventPublisher(events, saga_stack["bus_name"]).publish(*envelopes)


def envelope(data, producer="routing"):
    return new_envelope(data, producer=Producer(service=producer, version="0.1.0"), correlation_id=data.payment_id)


# --- happy paths ---------------------------------------------------------------------------------
@pytest.mark.parametrize("gateway", ["stripe", "amazon_pay", "solana"])
def test_happy_path_on_each_gateway(saga_stack, merchant, payments, gateway):
    if gateway == "stripe":
        request = body("card", vault_id=merchant.vault_card(f"cus_{gateway}_{RUN}"))
    elif gateway == "amazon_pay":
        request = body("amazon_pay", amazon_checkout_session(merchant.emulators.amazon_pay))
    else:
        request = body("solana_wallet", sol_wallet(payments, f"sol_e2e_{RUN}"), amount=900)
    view = merchant.wait(accepted(merchant.pay(request)))
    assert view["status"] == "indexed", view
    assert view["gateway"] == gateway and view["captured_amount"] == request["amount"]
    assert [(a["gateway"], a["outcome"]) for a in view["attempts"]] == [(gateway, "captured")]
    states = [t["state"] for t in view["timeline"]]
    assert states[:1] == ["REQUESTED"] and states[-2:] == ["CAPTURED", "INDEXED"]
    balanced(payments, view["payment_id"], charges=1)


def test_a_card_testing_burst_is_declined_by_fraud_and_never_charged(merchant, payments):
    """One stolen card probed with tiny amounts from a burner device abroad, seconds apart (the demo's burst)."""
    stolen = merchant.vault_card(f"cus_fraudster_{RUN}")
    sent = [accepted(merchant.pay(body("card", vault_id=stolen, amount=100 + 17 * i, customer="cus_fraudster",
                                       device_id=f"dev_burner_{RUN}", ip_address="198.51.100.77", country="BR")))
            for i in range(10)]
    views = [merchant.wait(pid) for pid in sent]
    declined = [v for v in views if v["status"] == "fraud_declined"]
    assert declined, [(v["status"], v["fraud"]) for v in views]
    for view in declined:
        assert view["decline_code"] == "fraud_declined" and view["gateway"] is None and view["captured_amount"] == 0
        balanced(payments, view["payment_id"], charges=0)
    for view in views:
        assert view["status"] in ("fraud_declined", "indexed"), view
        balanced(payments, view["payment_id"], charges=int(view["status"] == "indexed"))


# --- fallback ------------------------------------------------------------------------------------
def test_a_stripe_failure_falls_back_to_amazon_pay_with_the_vaulted_card(merchant, payments):
    vault_id = merchant.vault_card(f"cus_fallback_{RUN}")
    request = body("card", vault_id=vault_id, amount=4200, metadata={"smartpay_fault": "stripe:5xx"})
    view = merchant.wait(accepted(merchant.pay(request)))
    assert view["status"] == "indexed" and view["gateway"] == "amazon_pay", view
    assert [(a["attempt"], a["gateway"], a["outcome"], a["code"]) for a in view["attempts"]] == [
        (1, "stripe", "failed", "gateway_5xx"), (2, "amazon_pay", "captured", None)]
    assert view["payment_method"]["last4"] == "4242" and view["captured_amount"] == 4200
    assert "REROUTING" in [t["state"] for t in view["timeline"]]
    balanced(payments, view["payment_id"], charges=1)  # Stripe never saw the failed attempt's money


# --- duplicates ----------------------------------------------------------------------------------
def test_a_duplicate_request_is_the_same_payment_and_another_body_is_a_conflict(merchant, payments):
    request = body("amazon_pay", amazon_checkout_session(merchant.emulators.amazon_pay), amount=3100)
    key = f"order-{RUN}-dup"
    first = merchant.pay(request, key)
    again = merchant.pay(request, key)
    assert again.status_code == 202 and again.json() == first.json()
    conflict = merchant.pay({**request, "amount": 3200}, key)
    assert conflict.status_code == 409
    view = merchant.wait(accepted(first))
    assert view["status"] == "indexed"
    balanced(payments, view["payment_id"], charges=1)


def test_duplicate_event_delivery_is_a_no_op(saga_stack, merchant, payments):
    view = merchant.wait(accepted(merchant.pay(body("card", vault_id=merchant.vault_card(f"cus_dupev_{RUN}")))))
    assert view["status"] == "indexed"
    pid, version = view["payment_id"], view["version"]
    route = envelope(p.RouteSelected(payment_id=pid, merchant_id=MERCHANT, attempt=1, gateway=view["gateway"],
                                     propensity=0.9, policy_version="e2e", explanation="redelivered"))
    fraud = envelope(p.FraudAssessed(payment_id=pid, merchant_id=MERCHANT, score=0.01, decision="approve",
                                     model_version="e2e", threshold_version="e2e",
                                     payment=p.PaymentContext(amount=2500, currency="USD", method="card")), "fraud")
    publish(saga_stack, route, fraud)
    publish(saga_stack, route)  # the same envelope again onto the bus
    sqs = boto3.client("sqs", endpoint_url=saga_stack["aws_endpoint_url"], region_name="us-east-1")
    queue = sqs.get_queue_url(QueueName="smartpay-payment")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(to_bus_event(route)))  # ... and straight onto the queue
    logs = saga_stack["state"] / "logs"
    for event in (route, fraud):
        seen = wait_for_handlers(logs, event.metadata.event_id, {"payment"})
        handled = [r for r in seen.get("payment", []) if r.get("message") == "event handled"]
        assert handled, f"{event.event_type} never handled"
    deadline = time.monotonic() + 20  # three deliveries of the route: all handled, none failed
    while time.monotonic() < deadline and len([r for r in handled_by(logs, route.metadata.event_id).get(
            "payment", []) if r.get("message") == "event handled"]) < 3:
        time.sleep(0.3)
    records = handled_by(logs, route.metadata.event_id)["payment"]
    assert sum(r.get("message") == "event handled" for r in records) == 3
    assert not [r for r in records if r.get("message") == "event handler failed"]
    after = merchant.payment(pid)
    assert after["version"] == version and after["status"] == "indexed"
    balanced(payments, pid, charges=1)


# --- a worker killed mid-saga --------------------------------------------------------------------
def test_a_worker_killed_mid_saga_is_restarted_and_each_saga_charges_once(saga_stack, merchant, payments):
    """Captures wait 3 s (an injected delay), so SIGKILL lands between authorization and capture."""
    name = "worker-payment"
    pid = saga_stack["processes"][name]["pid"]
    argv, env = process_spec(pid)
    slow = {"smartpay_fault": "stripe.capture:delay3000"}
    sent = [accepted(merchant.pay(body("card", vault_id=merchant.vault_card(f"cus_kill{i}_{RUN}"), amount=1500 + i,
                                       customer=f"cus_kill{i}", metadata=slow))) for i in range(3)]
    # The record goes ROUTED -> CAPTURED in one write (authorization and capture recorded together): the
    # authorization is seen at the gateway, while the 3 s capture delay runs.
    deadline = time.monotonic() + 60
    while gateway_status(payments, sent[0]) != "authorized" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gateway_status(payments, sent[0]) == "authorized", merchant.payment(sent[0])
    assert merchant.payment(sent[0])["status"] == "routed"
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and "State:\tZ" not in Path(f"/proc/{pid}/status").read_text() \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    # nobody captures while the worker is dead
    assert merchant.payment(sent[0])["status"] == "routed" and gateway_status(payments, sent[0]) == "authorized"
    new_pid = restart(saga_stack["state"], name, argv, env)
    saga_stack["processes"][name]["pid"] = new_pid
    for payment_id in sent:
        view = merchant.wait(payment_id, timeout=90)
        assert view["status"] == "indexed", view
        assert [a["outcome"] for a in view["attempts"]] == ["captured"]
        balanced(payments, payment_id, charges=1)  # localstripe holds one intent, captured once
    states = [t["state"] for t in merchant.payment(sent[0])["timeline"]]
    assert states.count("AUTHORIZED") == 1 and states.count("CAPTURED") == 1


# --- a poison message ----------------------------------------------------------------------------
def test_a_poison_message_ends_in_the_dlq_with_its_reason(saga_stack, merchant, payments):
    view = merchant.wait(accepted(merchant.pay(body("amazon_pay",
                                                    amazon_checkout_session(merchant.emulators.amazon_pay)))))
    pid = view["payment_id"]
    intruder = envelope(p.RouteSelected(payment_id=pid, merchant_id="m_intruder", attempt=1, gateway="amazon_pay",
                                        propensity=0.5, policy_version="e2e", explanation="forged"))
    publish(saga_stack, intruder)
    sqs = boto3.client("sqs", endpoint_url=saga_stack["aws_endpoint_url"], region_name="us-east-1")
    dlq = sqs.get_queue_url(QueueName="smartpay-payment-dlq")["QueueUrl"]
    deadline, found = time.monotonic() + 90, None
    while time.monotonic() < deadline and not found:
        for message in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=2,
                                           VisibilityTimeout=0).get("Messages", []):
            if intruder.metadata.event_id in message["Body"]:
                found = message
    assert found, "the forged event never reached the payment DLQ"
    records = handled_by(saga_stack["state"] / "logs", intruder.metadata.event_id)["payment"]
    reasons = {r.get("reason") for r in records if r.get("message") == "event handler failed"}
    assert any(r and r.startswith("MerchantMismatch") and "m_intruder" in r for r in reasons), reasons
    assert merchant.payment(pid)["version"] == view["version"]  # the forged event changed nothing
    balanced(payments, pid, charges=1)


# --- refunds -------------------------------------------------------------------------------------
def test_partial_then_full_refund_and_a_full_refund(saga_stack, merchant, payments):
    partial = merchant.wait(accepted(merchant.pay(body("card", vault_id=merchant.vault_card(f"cus_ref_{RUN}"),
                                                       amount=5000))))
    full = merchant.wait(accepted(merchant.pay(body("amazon_pay", amazon_checkout_session(merchant.emulators.amazon_pay),
                                                    amount=2750))))
    assert partial["status"] == full["status"] == "indexed"
    first = merchant.refund(partial["payment_id"], 1200)
    assert first.status_code == 200 and first.json()["payment"]["status"] == "partially_refunded", first.text
    balanced(payments, partial["payment_id"], charges=1)
    assert merchant.refund(partial["payment_id"], 3801).status_code == 422  # more than is left
    rest = merchant.refund(partial["payment_id"])
    assert rest.status_code == 200 and rest.json()["amount"] == 3800
    whole = merchant.refund(full["payment_id"])
    assert whole.status_code == 200 and whole.json()["amount"] == 2750
    for view, refunds in ((partial, [1200, 3800]), (full, [2750])):
        after = merchant.payment(view["payment_id"])
        assert after["status"] == "refunded" and after["refunded_amount"] == view["amount"]
        assert [r["amount"] for r in after["refunds"]] == refunds and after["refundable_amount"] == 0
        check = balanced(payments, view["payment_id"], charges=1)
        assert check.gateway_refunded == view["amount"]
        item = payments.saga.store.repo._db.get_item(TableName=payments.saga.store.repo._table,
                                                     Key={"payment_id": {"S": view["payment_id"]}})["Item"]
        snapshot = p.PaymentSnapshot.model_validate_json(item["snapshot"]["S"])  # the chat reindex source
        assert snapshot.status == "refunded" and snapshot.refunded_amount == view["amount"]
