"""Two private stacks at once (nested: what a test run next to `make demo`, or two benches, amount to): every
port of each is its own (moto, gateway, X-Ray relay, Redis, localstripe, the Amazon Pay and Solana
sandboxes), each stack's processes are wired to its own servers through the settings the services read,
and one payment through each reaches captured while the other stack's Redis and Stripe see nothing of it."""

import os
import uuid
from unittest import mock

import pytest
import redis
import requests

from smartpay_payment.service_layer.reconcile import reconcile
from smartpay_payment.testing.local_stack import Emulators, MerchantClient, process_spec, service_like_worker
from smartpay_payment.testing.servers import stripe_card
from smartpay_shared.local.stack import REDIS_ENVS
from smartpay_shared.testing.stack import merchant_token, private_stack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
PASSWORD = "E2e-private-merchant-Passw0rd!"
MERCHANT = "m_pinned_stripe"  # catalog.local.yaml pins its card payments to Stripe first
RUN = uuid.uuid4().hex[:6]


def ports(info: dict) -> set[int]:
    """Every port the stack listens on: moto, the X-Ray relay and each process that has one."""
    moto = int(info["aws_endpoint_url"].rsplit(":", 1)[1])
    xray = int(info["xray_daemon"].rsplit(":", 1)[1])
    return {moto, xray, *(p["port"] for p in info["processes"].values() if "port" in p)}


def redis_keys(info: dict) -> set[bytes]:
    return set(redis.Redis.from_url(info["redis_url"]).keys("*"))


def worker_env(info: dict, name: str) -> dict[str, str]:
    return process_spec(info["processes"][name]["pid"])[1]


def pay_by_card(merchant: MerchantClient) -> tuple[str, dict]:
    """One card payment (a PaymentMethod made on this stack's localstripe) until the saga is over."""
    card = stripe_card(merchant.emulators.stripe)
    customer = f"cus_private_{uuid.uuid4().hex[:8]}"
    body = {"amount": 2500, "currency": "USD", "customer_id": customer, "country": "US",
            "device_id": f"dev_{customer}", "ip_address": "203.0.113.10",
            "payment_method": {"type": "card", "token": card}}
    response = merchant.pay(body)
    assert response.status_code == 202, response.text
    return card, merchant.wait(response.json()["payment_id"], timeout=180)


def captured_once(info: dict, view: dict) -> None:
    assert view["status"] == "indexed", view
    assert [(a["gateway"], a["outcome"]) for a in view["attempts"]] == [("stripe", "captured")]
    assert view["captured_amount"] == 2500
    # The ledger check, wired like this stack's payment worker: its record == its own localstripe's intent.
    payments = service_like_worker(info["processes"]["worker-payment"]["pid"])
    check = reconcile(payments.saga, payments.saga.store.repo.get(view["payment_id"]).payment)
    assert check.ok and check.charges == 1, check


def test_two_private_stacks_at_once_each_with_its_own_emulators_and_redis(shared_stack, tmp_path_factory):
    a = shared_stack  # the e2e suite's own private stack (tests/e2e/conftest.py) is one of the two
    with private_stack(tmp_path_factory.mktemp("stack-b")) as b:
        stacks = {"a": a, "b": b}
        emulators = {k: Emulators.of(s) for k, s in stacks.items()}
        for k, s in stacks.items():
            print(f"stack {k}: moto {s['aws_endpoint_url']}, gateway {s['gateway_url']}, redis {s['redis_url']}, "
                  f"stripe {emulators[k].stripe}, amazon_pay {emulators[k].amazon_pay}, solana {emulators[k].solana} "
                  f"(up in {s['up_seconds']} s)")

        # Nothing shared: no port in common, so no server, Redis or emulator in common.
        assert not ports(a) & ports(b), (sorted(ports(a)), sorted(ports(b)))
        assert a["redis_url"] != b["redis_url"]
        assert {emulators["a"].stripe, emulators["a"].amazon_pay, emulators["a"].solana}.isdisjoint(
            {emulators["b"].stripe, emulators["b"].amazon_pay, emulators["b"].solana})
        # Each stack's processes got its own addresses, under the settings the services read.
        for s in stacks.values():
            payment, fraud, gateway = (worker_env(s, n) for n in ("worker-payment", "worker-fraud", "gateway"))
            for name in ("PAYMENT_STRIPE_API_BASE", "PAYMENT_AMAZON_PAY_ENDPOINT", "PAYMENT_SOLANA_RPC_URL"):
                assert payment[name] == s["env"][name], name
            for env in (payment, fraud, gateway, worker_env(s, "worker-routing")):
                assert {env[name] for name in REDIS_ENVS} == {s["redis_url"]}

        merchants = {k: MerchantClient(s["gateway_url"], merchant_token(f"private-{k}-{RUN}@example.com", MERCHANT,
                                                                        PASSWORD, s), emulators[k])
                     for k, s in stacks.items()}
        before = {k: redis_keys(s) for k, s in stacks.items()}

        # A payment through stack a: a's Redis records it (velocity features, routing, rate limit); b's sees nothing.
        card_a, view_a = pay_by_card(merchants["a"])
        captured_once(a, view_a)
        after_a = {k: redis_keys(s) for k, s in stacks.items()}
        assert after_a["a"] - before["a"], "stack a's payment left nothing in stack a's Redis"
        assert after_a["b"] <= before["b"], after_a["b"] - before["b"]

        # ... and one through stack b: the same the other way round.
        card_b, view_b = pay_by_card(merchants["b"])
        captured_once(b, view_b)
        after_b = {k: redis_keys(s) for k, s in stacks.items()}
        assert after_b["b"] - after_a["b"], "stack b's payment left nothing in stack b's Redis"
        assert after_b["a"] <= after_a["a"], after_b["a"] - after_a["a"]

        # Stripe state per stack: a card made on one localstripe is unknown to the other; a payment of one
        # stack is unknown to the other stack's API.
        for card, mine, other in ((card_a, emulators["a"], emulators["b"]), (card_b, emulators["b"], emulators["a"])):
            headers = {"Authorization": "Bearer sk_test_local"}
            assert requests.get(f"{mine.stripe}/v1/payment_methods/{card}", headers=headers, timeout=5).ok
            assert requests.get(f"{other.stripe}/v1/payment_methods/{card}", headers=headers,
                                timeout=5).status_code == 404
        for s in stacks.values():  # localstripe's state file: in the stack's own directory
            assert (s["state"] / "localstripe.pickle").stat().st_size > 0
        assert merchants["b"].http.get(f"{b['gateway_url']}/payments/{view_a['payment_id']}",
                                       timeout=10).status_code == 404
        assert merchants["a"].http.get(f"{a['gateway_url']}/payments/{view_b['payment_id']}",
                                       timeout=10).status_code == 404


def test_a_default_stack_never_adopts_another_stacks_moto(tmp_path, monkeypatch):
    """`make up` / `make demo` next to another checkout's running stack: the documented emulator port is
    held by that stack's moto, so this stack runs its own moto on a free port and applies nothing into
    the other one (before, it applied its Terraform into the foreign moto and failed on existing names).
    The stack goes as far as its Terraform apply, which is where the endpoint is decided; what the apply
    then does is every other e2e test's business."""
    import boto3

    from smartpay_shared.local import stack, terraform
    from smartpay_shared.testing import MotoServer

    applied_to = []

    class Stop(Exception):
        pass

    def apply_stack(endpoint_url, **kwargs):
        applied_to.append(endpoint_url)
        own = boto3.client("dynamodb", endpoint_url=endpoint_url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        own.list_tables()  # this stack's own moto answers there
        raise Stop

    with MotoServer() as foreign:
        monkeypatch.setattr(stack, "DEFAULT_ENDPOINT", foreign.url)  # "4566", held by the other stack
        monkeypatch.setattr(terraform, "apply_stack", apply_stack)
        monkeypatch.setenv("SMARTPAY_LOCAL_DIR", str(tmp_path))
        with pytest.raises(Stop), mock.patch.dict(os.environ):  # `up` exports the stack's addresses
            stack.up(foreign.url, prefer_default_ports=True)
        assert len(applied_to) == 1 and applied_to[0] != foreign.url, applied_to
        # A failed `up` stops what it started: its own moto and Redis are gone.
        assert not stack.ProcessTable(stack.stack_paths().state).all_running()
