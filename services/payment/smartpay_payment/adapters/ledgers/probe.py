"""The ledger of any gateway, read attempt by attempt through its `status()` (for a gateway with no list
call: Amazon Pay live; and the per-payment ledger check on every gateway)."""

from __future__ import annotations

from smartpay_payment.domain.charges import ChargeRequest, ChargeResult, charge_request
from smartpay_payment.domain.model import Payment
from smartpay_payment.domain.reconciliation import GatewayCharge
from smartpay_payment.service_layer.ports import Gateway, GatewayLedger
from smartpay_payment.service_layer.retries import with_backoff

LEDGER_READ_WAITS = (0.2, 0.4, 0.6, 0.8)  # a ledger read rides out a transient error for ~2 s, then fails


def read_status(gateway: Gateway, request: ChargeRequest) -> ChargeResult | None:
    """A ledger read is retried through transient gateway errors; a persistent one propagates (the
    check then cannot say the payment is fine, and must not)."""
    return with_backoff(lambda: gateway.status(request), waits=LEDGER_READ_WAITS)


class ProbeLedger(GatewayLedger):
    def __init__(self, gateway: Gateway):
        self._gateway = gateway
        self.gateway = gateway.name

    def held(self, payment: Payment, attempt: int) -> GatewayCharge | None:
        request = charge_request(payment, attempt)
        result = read_status(self._gateway, request)
        return None if result is None else GatewayCharge.of(self.gateway, request.reference, result)
