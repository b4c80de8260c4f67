"""Rewards end to end on the e2e suite's private local stack (moto + Terraform + every worker + the gateway):
a merchant pays through the gateway with a real Cognito token, the payment saga captures it, the rewards
worker earns the customer's points from payment.captured; a partial refund claws back its share from
payment.refunded; another merchant's token sees nothing of the customer."""

import time
import uuid

import pytest
import requests

from smartpay_payment.testing.local_stack import Emulators, MerchantClient
from smartpay_shared.testing.stack import merchant_token

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
PASSWORD = "E2e-rewards-merchant-Passw0rd!"
MERCHANT = "m_pinned_stripe"  # catalog.local.yaml pins its card payments to Stripe first
RUN = uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def stack(shared_stack):
    return shared_stack  # the e2e suite's private stack (tests/e2e/conftest.py); this module's customer is its own


@pytest.fixture(scope="module")
def merchant(stack):
    return MerchantClient(stack["gateway_url"], merchant_token(f"rewards-{RUN}@example.com", MERCHANT, PASSWORD,
                                                               stack), Emulators.of(stack))


def rewards_until(session, url, predicate, timeout=90.0):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = session.get(url, timeout=15)
        if last.status_code == 200 and predicate(last.json()):
            return last.json()
        time.sleep(0.25)
    raise AssertionError(f"rewards did not arrive: {last.status_code if last is not None else None} "
                         f"{last.text[:500] if last is not None else ''}")


def test_points_are_earned_on_capture_clawed_back_on_refund_and_merchant_scoped(stack, merchant):
    customer = f"cus_rewards_{RUN}"
    vault_id = merchant.vault_card(customer)
    pay = {"amount": 2150, "currency": "USD", "customer_id": customer, "country": "US",
           "device_id": f"dev_rewards_{RUN}", "ip_address": "203.0.113.11",
           "payment_method": {"type": "card", "vault_id": vault_id}}
    accepted = merchant.pay(pay)
    assert accepted.status_code == 202, accepted.text
    payment_id = accepted.json()["payment_id"]
    view = merchant.wait(payment_id)
    assert view["status"] == "indexed", view

    url = f"{merchant.url}/rewards/{customer}"
    earned = rewards_until(merchant.http, url, lambda b: b["totals"]["earned"] > 0)
    assert earned["balance"] == 21 and earned["debt"] == 0        # floor(21.50 USD x the default rate 1)
    assert [(e["kind"], e["points"], e["payment_id"]) for e in earned["history"]] == [("earn", 21, payment_id)]
    # no operator set this merchant's offer category: no offer is shown (none could pay) and none is logged
    assert earned["offers"]["status"] == "not_configured" and earned["offers"]["active"] == []

    assert merchant.refund(payment_id, 700).status_code in (200, 202)
    clawed = rewards_until(merchant.http, url, lambda b: b["totals"]["clawed_back"] > 0)
    assert clawed["balance"] == 21 - 6                              # floor(21 x 700 / 2150) = 6
    assert [(e["kind"], e["points"]) for e in clawed["history"]] == [("clawback", -6), ("earn", 21)]

    other = requests.Session()
    other.headers["Authorization"] = "Bearer " + merchant_token(f"rewards-other-{RUN}@example.com", "m_other_rw",
                                                                PASSWORD, stack)
    response = other.get(url, timeout=15)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("application/problem+json")
    assert customer in response.json()["detail"] and "balance" not in response.json() and "history" not in response.text
