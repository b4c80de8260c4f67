"""Driving the payment saga on the RUNNING local stack (tests/e2e, scripts/demo.py): a merchant's HTTP
client through the gateway (a real Cognito token), the payment service wired exactly like the stack's
payment worker (records, ledger checks), and restarting a killed process through the stack's process
table with its own argv and environment."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import requests

from smartpay_payment.config import PaymentSettings
from smartpay_payment.testing.servers import amazon_card_on_file, stripe_card

# A saga is over in these (a captured payment is over once the index confirmed it: `indexed`).
FINAL = frozenset({"indexed", "fraud_declined", "declined", "failed", "refunded", "partially_refunded"})


def setting_name(field: str) -> str:
    """The environment variable PaymentSettings reads `field` from (PAYMENT_STRIPE_API_BASE, ...)."""
    return PaymentSettings.model_config["env_prefix"] + field.upper()


@dataclass(frozen=True)
class Emulators:
    """Where one stack's payment emulators listen: read from the stack's info (`stack.up`, .local/stack.json),
    under the settings the payment service itself reads, so a test talks to the servers its stack's workers use."""

    stripe: str
    amazon_pay: str
    solana: str

    @classmethod
    def of(cls, stack: Mapping[str, Any]) -> Emulators:
        env = stack["env"]
        return cls(stripe=env[setting_name("stripe_api_base")], amazon_pay=env[setting_name("amazon_pay_endpoint")],
                   solana=env[setting_name("solana_rpc_url")])


class MerchantClient:
    """One merchant's calls through the gateway (the merchant comes from the token, never the body)."""

    def __init__(self, gateway_url: str, token: str, emulators: Emulators):
        self.url = gateway_url.rstrip("/")
        self.emulators = emulators
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def pay(self, body: dict, key: str | None = None) -> requests.Response:
        return self.http.post(f"{self.url}/pay", json=body, timeout=15,
                              headers={"Idempotency-Key": key or f"k-{uuid.uuid4().hex}"})

    def payment(self, payment_id: str) -> dict:
        return self.http.get(f"{self.url}/payments/{payment_id}", timeout=10).json()

    def wait(self, payment_id: str, until: frozenset[str] = FINAL, timeout: float = 60.0) -> dict:
        """The payment once its status is in `until` (by default: the saga is over), or as it stands."""
        deadline = time.monotonic() + timeout
        while True:
            view = self.payment(payment_id)
            if view.get("status") in until or time.monotonic() > deadline:
                return view
            time.sleep(0.25)

    def refund(self, payment_id: str, amount: int | None = None) -> requests.Response:
        body = {"reason": "requested_by_customer", **({"amount": amount} if amount else {})}
        return self.http.post(f"{self.url}/payments/{payment_id}/refund", json=body, timeout=15)

    def vault_card(self, customer_id: str, last4: str = "4242", number: str = "4242424242424242") -> str:
        """A card kept once in the vault: a localstripe PaymentMethod + an Amazon Pay card on file."""
        tokens = {"stripe": stripe_card(self.emulators.stripe, number),
                  "amazon_pay": amazon_card_on_file(self.emulators.amazon_pay, last4)}
        response = self.http.post(f"{self.url}/payment-methods", timeout=15,
                                  json={"customer_id": customer_id, "gateway_tokens": tokens})
        response.raise_for_status()
        return response.json()["vault_id"]


def process_spec(pid: int) -> tuple[list[str], dict[str, str]]:
    """argv and environment of a running process (to restart it the same way after killing it)."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    env = dict(e.split(b"=", 1) for e in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in e)
    return [a.decode() for a in argv], {k.decode(): v.decode() for k, v in env.items()}


def restart(state_dir: Path, name: str, argv: list[str], env: dict[str, str]) -> int:
    """Start `name` again through the stack's process table (so `stack down` stops it); its pid."""
    from smartpay_shared.local.processes import ProcessTable

    return ProcessTable(state_dir).start(name, argv, env).pid


def service_like_worker(worker_pid: int):
    """The payment service wired from the payment worker's own environment (same tables, bus and
    connectors): read records and run the ledger check from outside the stack."""
    from smartpay_payment import bootstrap
    from smartpay_payment.config import PaymentSettings
    from smartpay_shared.config import PlatformSettings

    from smartpay_payment.adapters.secrets import SecretStore

    _, env = process_spec(worker_pid)
    endpoint, region = env["AWS_ENDPOINT_URL"], env.get("AWS_REGION", "us-east-1")
    session = boto3.session.Session(aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "testing"),
                                    aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "testing"),
                                    region_name=region)
    with mock.patch.dict(os.environ, env, clear=True):
        settings, platform = PaymentSettings(), PlatformSettings()
        secrets = SecretStore(session.client("secretsmanager", endpoint_url=endpoint), settings.secrets_max_age_seconds)
        gateways = bootstrap.build_gateways(settings, secrets)
    return bootstrap.build(settings, session.client("dynamodb", endpoint_url=endpoint),
                           session.client("events", endpoint_url=endpoint), gateways, platform.event_bus)
