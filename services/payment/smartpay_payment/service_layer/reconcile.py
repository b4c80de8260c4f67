"""Ledger check of one payment: what the gateways hold (charges and refunds of every attempt) against
what the record says. The tests, the demo and operators use it to prove nothing was charged twice."""

from __future__ import annotations

import time
from dataclasses import dataclass

from smartpay_payment.adapters.gateways.base import ChargeRequest, ChargeResult, Gateway, GatewayError
from smartpay_payment.adapters.gateways.solana_gateway import SolanaGateway
from smartpay_payment.domain.model import Payment
from smartpay_payment.service_layer.saga import Saga


@dataclass(frozen=True)
class LedgerCheck:
    payment_id: str
    record_captured: int
    record_refunded: int
    gateway_captured: int
    gateway_refunded: int
    charges: int  # attempts the gateways hold money for

    @property
    def ok(self) -> bool:
        return (self.record_captured, self.record_refunded) == (self.gateway_captured, self.gateway_refunded)


def _status(gateway: Gateway, request: ChargeRequest, attempts: int = 5) -> ChargeResult | None:
    """A ledger read is retried through transient gateway errors; a persistent one propagates (the
    check then cannot say the payment is fine, and must not)."""
    for attempt in range(1, attempts + 1):
        try:
            return gateway.status(request)
        except GatewayError as e:
            if not e.retriable or attempt == attempts:
                raise
            time.sleep(0.2 * attempt)
    return None


def reconcile(saga: Saga, payment: Payment) -> LedgerCheck:
    captured = refunded = charges = 0
    for attempt, gateway_name in enumerate(payment.tried_gateways, start=1):
        gateway = saga.gateways.get(gateway_name)
        if gateway is None:
            continue
        request = saga.charge_request(payment.model_copy(update={"attempt": attempt}))
        found = _status(gateway, request)
        if found is None or not found.captured_amount:
            continue
        charges += 1
        captured += found.captured_amount
        if isinstance(gateway, SolanaGateway):  # a chain has no refund total per charge: read the receipts
            refunded += sum(r.amount for r in payment.refunds if r.status == "succeeded"
                            and (r.gateway or payment.gateway) == gateway_name
                            and gateway.receipt_exists(f"{payment.payment_id}-r{r.number}"))
        else:
            refunded += found.refunded_amount
    return LedgerCheck(payment.payment_id, payment.captured_amount, payment.refunded_amount, captured, refunded,
                       charges)
