"""Solana's ledger: the transfer of each attempt (its receipt account, read by status) and the refunds
the record names, each proven by its own on-chain receipt (a chain keeps no refund total per charge)."""

from __future__ import annotations

from smartpay_payment.adapters.gateways.solana_gateway import SolanaGateway
from smartpay_payment.adapters.ledgers.probe import ProbeLedger
from smartpay_payment.domain.model import Payment
from smartpay_payment.domain.reconciliation import GatewayCharge


class SolanaLedger(ProbeLedger):
    def __init__(self, gateway: SolanaGateway):
        super().__init__(gateway)
        self._solana = gateway

    def held(self, payment: Payment, attempt: int) -> GatewayCharge | None:
        charge = super().held(payment, attempt)
        if charge is None:
            return None
        refunded = sum(r.amount for r in payment.refunds
                       if (r.gateway or payment.gateway) == self.gateway
                       and (r.gateway_reference or payment.gateway_reference) == charge.gateway_reference
                       and self._solana.receipt_exists(f"{payment.payment_id}-r{r.number}"))
        status = "captured" if refunded < charge.captured else "refunded"
        return GatewayCharge(self.gateway, charge.reference, charge.gateway_reference, status, charge.amount,
                             charge.captured, refunded, charge.created)
