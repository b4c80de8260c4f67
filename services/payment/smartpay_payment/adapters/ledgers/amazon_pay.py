"""The Amazon Pay LOCAL SANDBOX's ledger: its charge list (GET /__sandbox/ledger). Real Amazon Pay has no
list call: a ProbeLedger (per-attempt status reads) reads it there (`is_sandbox` tells them apart)."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from smartpay_payment.adapters.gateways import amazon_pay_conversions as conv
from smartpay_payment.domain.model import Payment
from smartpay_payment.domain.reconciliation import GatewayCharge
from smartpay_payment.service_layer.ports import GatewayLedger


def is_sandbox(endpoint: str) -> bool:
    try:
        return requests.get(endpoint.rstrip("/") + "/__sandbox/health", timeout=3).ok
    except requests.RequestException:
        return False


def _created(charge: dict) -> float | None:
    try:
        return datetime.strptime(charge["creationTimestamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except (KeyError, ValueError):
        return None


class AmazonPaySandboxLedger(GatewayLedger):
    gateway = "amazon_pay"

    def __init__(self, endpoint: str, timeout_seconds: float = 10.0):
        self._url = endpoint.rstrip("/") + "/__sandbox/ledger"
        self._timeout = timeout_seconds

    def charges(self, payments: list[Payment]) -> list[GatewayCharge]:
        response = requests.get(self._url, timeout=self._timeout)
        response.raise_for_status()
        return [GatewayCharge.of(self.gateway, c["merchantReferenceId"], conv.to_result(c), _created(c))
                for c in response.json()["charges"] if c.get("merchantReferenceId")]

    def held(self, payment: Payment, attempt: int) -> GatewayCharge | None:
        reference = payment.reference(attempt)
        return next((c for c in self.charges([payment]) if c.reference == reference), None)
