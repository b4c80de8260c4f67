"""Stripe's ledger (localstripe locally): every PaymentIntent carrying our reference, listed through the SDK."""

from __future__ import annotations

from smartpay_payment.adapters.gateways import stripe_conversions as conv
from smartpay_payment.domain.model import Payment
from smartpay_payment.domain.reconciliation import GatewayCharge
from smartpay_payment.service_layer.ports import GatewayLedger


class StripeLedger(GatewayLedger):
    gateway = "stripe"

    def __init__(self, api_key: str, api_base: str | None = None, timeout_seconds: float = 10.0):
        import stripe

        base = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(api_key, base_addresses=base, max_network_retries=2,
                                           http_client=stripe.RequestsClient(timeout=timeout_seconds))

    def charges(self, payments: list[Payment]) -> list[GatewayCharge]:
        page = self._client.v1.payment_intents.list(params={"limit": 100})
        # Deduplicated by id: localstripe's pagination can hand the same page back.
        intents = {i.id: i for i in page.auto_paging_iter() if conv.metadata(i).get("smartpay_reference")}
        found = []
        for intent in intents.values():
            reference = conv.metadata(intent)["smartpay_reference"]
            if intent.status == "succeeded":  # amounts captured/refunded live on the charge
                intent = self._client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
            created = getattr(intent, "created", None)
            found.append(GatewayCharge.of(self.gateway, reference, conv.to_result(intent),
                                          float(created) if created else None))
        return found

    def held(self, payment: Payment, attempt: int) -> GatewayCharge | None:
        """From the whole list (O(charges): the per-payment check uses the probe ledger instead)."""
        reference = payment.reference(attempt)
        return next((c for c in self.charges([payment]) if c.reference == reference), None)
