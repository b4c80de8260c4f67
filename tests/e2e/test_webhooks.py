"""Merchant webhooks end to end on the e2e suite's private local stack (moto + Terraform + every worker + the deliverer
loop + the gateway): a merchant registers an endpoint through the gateway with a real Cognito token, pays,
and a real HTTP receiver on a free port verifies every delivery with the standardwebhooks library, as a
merchant would. The receiver fails the first try of each webhook: the retry goes through the delivery
queue's per-attempt delay."""

import time
import uuid

import pytest
import requests

from smartpay_payment.testing.local_stack import Emulators, MerchantClient
from smartpay_shared.testing.stack import merchant_token

from smartpay_webhooks.testing.receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
PASSWORD = "E2e-webhooks-merchant-Passw0rd!"
MERCHANT = "m_pinned_stripe"  # catalog.local.yaml pins its card payments to Stripe first
RUN = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def stack(shared_stack):
    return shared_stack  # the e2e suite's private stack (tests/e2e/conftest.py); assertions filter on this run's payment


@pytest.fixture(scope="module")
def merchant(stack):
    return MerchantClient(stack["gateway_url"], merchant_token(f"webhooks-{RUN}@example.com", MERCHANT, PASSWORD,
                                                               stack), Emulators.of(stack))


@pytest.fixture
def receiver():
    found = Receiver(fail_first=1)
    found.url = found.start()
    yield found
    found.stop()


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_payment_outcomes_reach_the_merchant_signed_and_retried(stack, merchant, receiver):
    api = merchant.http
    response = api.post(f"{merchant.url}/webhook-endpoints", timeout=15, json={
        "url": receiver.url, "event_types": ["payment.captured", "payment.refunded"], "description": "e2e"})
    assert response.status_code == 201, response.text
    created = response.json()
    receiver.secrets.append(created["secret"])

    vault_id = merchant.vault_card(f"cus_webhooks_{RUN}")
    pay = {"amount": 2100, "currency": "USD", "customer_id": f"cus_webhooks_{RUN}", "country": "US",
           "device_id": f"dev_webhooks_{RUN}", "ip_address": "203.0.113.10",
           "payment_method": {"type": "card", "vault_id": vault_id}}
    accepted = merchant.pay(pay)
    assert accepted.status_code == 202, accepted.text
    payment_id = accepted.json()["payment_id"]
    view = merchant.wait(payment_id)
    assert view["status"] == "indexed", view
    assert merchant.refund(payment_id, 700).status_code in (200, 202)

    def outcomes():
        return sorted(r.event_type for r in receiver.delivered().values() if r.data.get("payment_id") == payment_id)

    assert wait_for(lambda: outcomes() == ["payment.captured", "payment.refunded"], timeout=90), receiver.received
    assert receiver.received and all(r.verified for r in receiver.received)
    first_tries = [r for r in receiver.received if r.answered == 500]
    assert len(first_tries) >= 2  # each webhook failed once, then was retried with the same webhook-id

    log = api.get(f"{merchant.url}/webhook-endpoints/{created['endpoint_id']}/deliveries", timeout=15).json()
    mine = [d for d in log["deliveries"] if d["status"] == "succeeded"]
    assert len(mine) >= 2 and all([a["status_code"] for a in d["attempts"]][-2:] == [500, 200] for d in mine)

    # Another merchant's token sees none of it.
    other = requests.Session()
    other.headers["Authorization"] = "Bearer " + merchant_token(f"webhooks-other-{RUN}@example.com", "m_other_wh",
                                                                PASSWORD, stack)
    assert other.get(f"{merchant.url}/webhook-endpoints/{created['endpoint_id']}", timeout=15).status_code == 404

