"""Chat on payments produced by real sagas: the real local stack (moto + Terraform + every worker + the
gateway + the Amazon Pay sandbox), payments through POST /pay with a real Cognito token, indexed by the chat
worker; then POST /chat through the gateway (aggregate, lookup, search, another merchant's payment), and
`smartpay chat reindex` from the stack's payments table giving the same answers.

A private stack (every port its own, Redis included): runs next to `make up` / `make demo` and other runs."""

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from smartpay_payment.testing.local_stack import Emulators
from smartpay_shared.testing.stack import merchant_token, stack_env

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
SMARTPAY = str(Path(sys.executable).parent / "smartpay")
PASSWORD = "E2e-chat-merchant-Passw0rd!"
RUN = uuid.uuid4().hex[:6]
FINAL = {"indexed", "fraud_declined", "declined", "failed", "refunded", "partially_refunded"}


@pytest.fixture(scope="module")
def chat_stack(shared_stack):
    return shared_stack


def token_for(stack: dict, merchant: str) -> str:
    return merchant_token(f"chat-{merchant}-{RUN}@example.com", merchant, PASSWORD, stack)


class Merchant:
    def __init__(self, url: str, token: str, amazon_url: str):
        self.url, self.http, self.amazon_url = url.rstrip("/"), requests.Session(), amazon_url
        self.http.headers["Authorization"] = f"Bearer {token}"

    def pay_amazon(self, amount: int) -> str:
        session = requests.post(f"{self.amazon_url}/sandbox/v2/checkoutSessions", timeout=5,
                                json={"storeId": "amzn1.application-oa2-client.sandbox", "sandboxSimulation": None},
                                headers={"Authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=BUYER"})
        session.raise_for_status()
        customer = f"cus_{uuid.uuid4().hex[:8]}_{RUN}"
        body = {"amount": amount, "currency": "USD", "customer_id": customer, "country": "US",
                "device_id": f"dev_{customer}", "ip_address": "203.0.113.10",
                "payment_method": {"type": "amazon_pay", "token": session.json()["checkoutSessionId"]}}
        response = self.http.post(f"{self.url}/pay", json=body, timeout=15,
                                  headers={"Idempotency-Key": f"k-{uuid.uuid4().hex}"})
        assert response.status_code == 202, response.text
        return response.json()["payment_id"]

    def wait(self, payment_id: str, timeout: float = 90.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            view = self.http.get(f"{self.url}/payments/{payment_id}", timeout=10).json()
            if view.get("status") in FINAL or time.monotonic() > deadline:
                return view
            time.sleep(0.25)

    def chat(self, question: str) -> dict:
        for _ in range(20):  # the index may be locked by the worker for a moment: 503 + Retry-After
            response = self.http.post(f"{self.url}/chat", json={"question": question}, timeout=30)
            if response.status_code != 503:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def merchants(chat_stack):
    amazon = Emulators.of(chat_stack).amazon_pay  # this stack's Amazon Pay sandbox
    return {name: Merchant(chat_stack["gateway_url"], token_for(chat_stack, name), amazon)
            for name in ("m_chat_a", "m_chat_b")}


@pytest.fixture(scope="module")
def paid(merchants):
    a, b = merchants["m_chat_a"], merchants["m_chat_b"]
    ids = [a.pay_amazon(amount) for amount in (1250, 2500, 4000)]
    other = b.pay_amazon(99999)
    views = [a.wait(i) for i in ids] + [b.wait(other)]
    assert all(v["status"] == "indexed" for v in views), views
    return {"ids": ids, "other": other, "volume": "77.50"}


def test_chat_answers_from_payments_produced_by_real_sagas(merchants, paid):
    a = merchants["m_chat_a"]
    volume = a.chat("how much did we take today?")
    assert volume["kind"] == "aggregate" and volume["query"]["params"][0] == "m_chat_a"
    assert [(r["currency"], r["value"]) for r in volume["rows"]] == [("USD", paid["volume"])], volume
    assert "999.99" not in json.dumps(volume)
    count = a.chat("how many payments on Amazon Pay today")
    assert count["rows"][0]["value"] == "3" and set(count["citations"]) == set(paid["ids"])
    lookup = a.chat(f"what happened to {paid['ids'][0]}?")
    assert lookup["kind"] == "lookup" and "was captured via amazon_pay" in lookup["answer"]
    assert a.chat(f"why was payment {paid['other']} declined?")["kind"] == "not_found"  # m_chat_b's
    found = a.chat("find payments like amazon pay")
    assert found["kind"] == "search" and set(found["citations"]) <= set(paid["ids"]) and found["citations"]


def test_reindex_from_the_stacks_payments_table_gives_the_same_answers(chat_stack, merchants, paid):
    a = merchants["m_chat_a"]
    before = a.chat("how much did we take today?")["rows"]
    result = subprocess.run([SMARTPAY, "chat", "reindex"], capture_output=True, text=True, timeout=300,
                            env=stack_env(chat_stack, CHAT_EMBEDDINGS="off"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "snapshots read from smartpay-payments" in " ".join(result.stdout.split())
    assert a.chat("how much did we take today?")["rows"] == before
