"""Stripe connector: the official SDK (StripeClient), manual capture, idempotency keys on every write."""

from __future__ import annotations

import time

import stripe

from smartpay_payment.adapters.gateways import stripe_conversions as conv
from smartpay_payment.domain.charges import ChargeRequest, ChargeResult, GatewayError, MethodDetails, RefundResult
from smartpay_payment.service_layer.ports import Gateway


class StripeGateway(Gateway):
    name = conv.NAME

    def __init__(self, api_key: str, api_base: str | None = None, timeout_seconds: float = 10.0,
                 use_search: bool = False):
        """`use_search`: look references up with the Search API (real Stripe); localstripe has none."""
        base = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(api_key, base_addresses=base, max_network_retries=0,
                                           http_client=stripe.RequestsClient(timeout=timeout_seconds))
        self._use_search = use_search

    def __repr__(self) -> str:  # the key never shows in logs or tracebacks
        return "StripeGateway(api_key=***)"

    def _call(self, fn, *args, **kwargs):
        started = time.perf_counter()
        try:
            result = fn(*args, **kwargs)
        except stripe.StripeError as e:
            raise conv.to_error(e, (time.perf_counter() - started) * 1000) from e
        return result, (time.perf_counter() - started) * 1000

    def authorize(self, request: ChargeRequest) -> ChargeResult:
        params = conv.intent_params(request.reference, request.amount, request.currency, request.method_token,
                                    request.merchant_id)
        intent, ms = self._call(self._client.v1.payment_intents.create, params=params,
                                options={"idempotency_key": f"{request.reference}:authorize"})
        result = conv.to_result(intent, ms)
        if result.status not in ("authorized", "captured"):
            raise GatewayError("authentication_required" if intent.status == "requires_action" else intent.status,
                               f"payment intent is {intent.status}", retriable=False, declined=True,
                               gateway=self.name, latency_ms=ms)
        return result

    def capture(self, gateway_reference: str, amount: int, reference: str) -> ChargeResult:
        intent, ms = self._call(self._client.v1.payment_intents.retrieve, gateway_reference,
                                params={"expand": ["latest_charge"]})
        if intent.status == "succeeded":
            return conv.to_result(intent, ms)  # a repeated capture is a read
        intent, ms = self._call(self._client.v1.payment_intents.capture, gateway_reference,
                                params={"amount_to_capture": amount},
                                options={"idempotency_key": f"{reference}:capture"})
        return conv.to_result(intent, ms)

    def refund(self, gateway_reference: str, amount: int, reference: str) -> RefundResult:
        existing, _ = self._call(self._client.v1.refunds.list, params={"payment_intent": gateway_reference,
                                                                        "limit": 100})
        for refund in existing.data:
            if conv.metadata(refund).get("smartpay_reference") == reference:
                return RefundResult(refund.id, int(refund.amount))
        refund, ms = self._call(self._client.v1.refunds.create,
                                params={"payment_intent": gateway_reference, "amount": amount,
                                        "metadata": {"smartpay_reference": reference}},
                                options={"idempotency_key": f"{reference}:refund"})
        if refund.status == "failed":
            raise GatewayError("refund_failed", "Stripe refused the refund", retriable=False, gateway=self.name)
        return RefundResult(refund.id, int(refund.amount), ms)

    def void(self, gateway_reference: str, reference: str) -> ChargeResult:
        intent, ms = self._call(self._client.v1.payment_intents.cancel, gateway_reference,
                                options={"idempotency_key": f"{reference}:void"})
        return conv.to_result(intent, ms)

    def describe(self, token: str) -> MethodDetails:
        method, _ = self._call(self._client.v1.payment_methods.retrieve, token)
        card = getattr(method, "card", None)
        if method.type != "card" or card is None:
            raise GatewayError("not_a_card", f"payment method is a {method.type}", retriable=False,
                               gateway=self.name)
        return MethodDetails(card.last4, card.brand, int(card.exp_month), int(card.exp_year))

    def status(self, request: ChargeRequest) -> ChargeResult | None:
        reference = request.reference
        if self._use_search:
            found, _ = self._call(self._client.v1.payment_intents.search,
                                  params={"query": f"metadata['smartpay_reference']:'{reference}'"})
            intents = list(found.data)
        else:
            page, _ = self._call(self._client.v1.payment_intents.list, params={"limit": 100})
            # Deduplicated by id: localstripe's pagination can hand the same page back.
            intents = list({i.id: i for i in page.auto_paging_iter()
                            if conv.metadata(i).get("smartpay_reference") == reference}.values())
        if not intents:
            return None
        # Several intents for one reference would be a double charge (localstripe has no idempotency):
        # the primary is returned with the amounts of all, so a ledger check sees the drift.
        results = []
        for found in sorted(intents, key=lambda i: i.status not in ("requires_capture", "succeeded")):
            intent, ms = self._call(self._client.v1.payment_intents.retrieve, found.id,
                                    params={"expand": ["latest_charge"]})
            results.append(conv.to_result(intent, ms))
        primary = results[0]
        return ChargeResult(primary.gateway_reference, primary.status, primary.amount,
                            sum(r.captured_amount for r in results), sum(r.refunded_amount for r in results),
                            primary.latency_ms)
