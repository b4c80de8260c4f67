"""Chat on payments produced by real sagas: the real local stack (moto + Terraform + every worker + the
gateway + the Amazon Pay sandbox), payments through POST /pay with a real Cognito token, indexed by the chat
worker; then POST /chat through the gateway (aggregate, lookup, search, another merchant's payment), and
`smartpay chat reindex` from the stack's payments table giving the same answers. Issue #17: the index against
the payments table while sagas are in flight (item 3), and `smartpay payment import` history answered by chat
(item 5).

A private stack (every port its own, Redis included): runs next to `make up` / `make demo` and other runs."""

import json
import subprocess
import sys
import time
import uuid
from collections import Counter
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

    def pay_amazon(self, amount: int, fault: str | None = None) -> str:
        session = requests.post(f"{self.amazon_url}/sandbox/v2/checkoutSessions", timeout=5,
                                json={"storeId": "amzn1.application-oa2-client.sandbox", "sandboxSimulation": None},
                                headers={"Authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=BUYER"})
        session.raise_for_status()
        customer = f"cus_{uuid.uuid4().hex[:8]}_{RUN}"
        body = {"amount": amount, "currency": "USD", "customer_id": customer, "country": "US",
                "device_id": f"dev_{customer}", "ip_address": "203.0.113.10",
                "payment_method": {"type": "amazon_pay", "token": session.json()["checkoutSessionId"]},
                **({"metadata": {"smartpay_fault": fault}} if fault else {})}
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
            for name in ("m_chat_a", "m_chat_b", "m_chat_c", "m_chat_d")}


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
    # The index is a refresh (at most 1 s after payment.indexed, as OpenSearch's): ask until the last payment is in.
    deadline = time.monotonic() + 5
    while True:
        volume = a.chat("how much did we take today?")
        if [(r["currency"], r["value"]) for r in volume["rows"]] == [("USD", paid["volume"])] \
                or time.monotonic() > deadline:
            break
        time.sleep(0.2)
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


# METRICS.md's statuses of the payment service's saga states (written from the glossary, not from chat's code):
# in flight = pending; a gateway decline counts as failed.
GLOSSARY = {"REQUESTED": "pending", "FRAUD_CHECKED": "pending", "ROUTED": "pending", "AUTHORIZED": "pending",
            "REROUTING": "pending", "CAPTURED": "captured", "INDEXED": "captured", "REFUNDED": "refunded",
            "PARTIALLY_REFUNDED": "partially_refunded", "FAILED": "failed", "DECLINED": "failed",
            "FRAUD_DECLINED": "declined_fraud"}
HELD_MS = 25_000  # the held payments' authorize waits this long: in flight meanwhile


def table_statuses(stack: dict, merchant: str) -> dict[str, str]:
    """payment id -> glossary status, from the stack's payments table (a consistent scan)."""
    import boto3

    db = boto3.client("dynamodb", endpoint_url=stack["env"]["AWS_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    found, kwargs = {}, {"TableName": "smartpay-payments", "ConsistentRead": True,
                         "FilterExpression": "merchant_id = :m", "ExpressionAttributeValues": {":m": {"S": merchant}}}
    while True:
        page = db.scan(**kwargs)
        found.update({i["payment_id"]["S"]: GLOSSARY[i["state"]["S"]] for i in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def index_counts(merchant: Merchant) -> dict[str, int]:
    answer = merchant.chat("how many payments by status")
    assert answer["kind"] == "aggregate", answer
    return {r["status"]: int(r["value"]) for r in answer["rows"]}


def matched_mid_run(stack: dict, merchant: Merchant, held: list[str], timeout: float) -> dict[str, int]:
    """The index's counts equal to the table's at one moment (two table reads around the chat answer agree)
    while the held payments are in flight; polls while the chat worker catches up."""
    deadline = time.monotonic() + timeout
    while True:
        before = table_statuses(stack, "m_chat_c")
        counts = index_counts(merchant)
        after = table_statuses(stack, "m_chat_c")
        expected = dict(sorted(Counter(after.values()).items()))
        if before == after and counts == expected:
            assert all(after[i] == "pending" for i in held), "the held payments finished before the check"
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"index {counts} vs table {expected} (before {Counter(before.values())})")
        time.sleep(0.5)


def test_the_index_matches_the_payments_table_while_sagas_are_in_flight(chat_stack, merchants):
    """Item 3: every payment from payment.requested. Two payments held at the gateway (`amazon_pay:delay`),
    one captured, one declined: mid-run the index counts equal the table's, the held ones `pending`, and a lookup
    finds an in-flight payment; once they finish the index follows them to `captured`."""
    c = merchants["m_chat_c"]
    done = [c.pay_amazon(1500), c.pay_amazon(900, fault="amazon_pay:decline")]
    assert [c.wait(i, timeout=30)["status"] for i in done] == ["indexed", "declined"]
    # After the others: a worker batch holding a held payment's message waits with it.
    held = [c.pay_amazon(amount, fault=f"amazon_pay:delay{HELD_MS}") for amount in (700, 800)]
    counts = matched_mid_run(chat_stack, c, held, timeout=HELD_MS / 1000 - 8)
    assert counts == {"captured": 1, "failed": 1, "pending": 2}
    lookup = c.chat(f"what happened to {held[0]}?")
    assert lookup["kind"] == "lookup" and "is still pending" in lookup["answer"], lookup
    assert c.chat("how many pending payments right now")["rows"][0]["value"] == "2"
    assert c.chat("approval rate")["rows"][0]["denominator"] == 2  # pending is not terminal
    assert [c.wait(i)["status"] for i in held] == ["indexed", "indexed"]
    deadline = time.monotonic() + 20
    while index_counts(c) != {"captured": 3, "failed": 1}:
        assert time.monotonic() < deadline, index_counts(c)
        time.sleep(0.5)


def test_imported_history_is_answered_by_chat_and_a_reimport_changes_nothing(chat_stack, merchants, tmp_path):
    """Item 5: `smartpay payment import` writes through the payment service and announces each payment; the chat
    worker indexes it like a live one."""
    d = merchants["m_chat_d"]
    path = tmp_path / "history.csv"
    path.write_text("reference,amount,currency,status,method,customer_id,created_at,gateway,refunded_amount\n"
                    "old-1,12000,USD,captured,card,cus_old1,2026-10-05T10:00:00Z,stripe,\n"
                    "old-2,3000,USD,partially_refunded,card,cus_old2,2026-10-06T10:00:00Z,stripe,1000\n"
                    "old-3,500,USD,failed,card,cus_old3,2026-10-07T10:00:00Z,stripe,\n")
    command = [SMARTPAY, "payment", "import", str(path), "--merchant", "m_chat_d"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=120, env=stack_env(chat_stack))
    assert first.returncode == 0 and "imported 3, already imported 0" in first.stdout, first.stdout + first.stderr
    deadline = time.monotonic() + 30
    while True:  # gross approved: the partially refunded payment's whole amount is in
        volume = d.chat("how much did we take in October?")
        if [(r["currency"], r["value"]) for r in volume["rows"]] == [("USD", "150.00")]:
            break
        assert time.monotonic() < deadline, volume
        time.sleep(0.5)
    assert d.chat("how much was refunded in October")["rows"][0]["value"] == "10.00"
    again = subprocess.run(command, capture_output=True, text=True, timeout=120, env=stack_env(chat_stack))
    assert again.returncode == 0 and "imported 0, already imported 3" in again.stdout, again.stdout + again.stderr
