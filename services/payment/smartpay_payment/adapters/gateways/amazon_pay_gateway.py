"""Amazon Pay v2 connector: checkout session complete (authorize), charge capture/cancel, refunds; the
method token is the buyer's checkout session id. Points at the local sandbox or at Amazon Pay."""

from __future__ import annotations

import hashlib
import hmac
import time

import requests

from smartpay_payment.adapters.gateways import amazon_pay_conversions as conv
from smartpay_payment.adapters.gateways.base import ChargeRequest, ChargeResult, Gateway, GatewayError, RefundResult


class AmazonPayGateway(Gateway):
    name = conv.NAME

    def __init__(self, endpoint: str, public_key_id: str, private_key: str, *, sandbox: bool = True,
                 timeout_seconds: float = 10.0, region: str = "us"):
        self._base = endpoint.rstrip("/") + ("/sandbox/v2" if sandbox else "/v2")
        self._key_id = public_key_id
        self._secret = private_key
        self._timeout = timeout_seconds
        self._region = region
        self._http = requests.Session()

    def __repr__(self) -> str:
        return f"AmazonPayGateway(public_key_id={self._key_id}, private_key=***)"

    def _headers(self, method: str, path: str, idempotency_key: str | None) -> dict:
        date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        # Real Amazon Pay signs with RSASSA-PSS over the canonical request; the sandbox checks the scheme only.
        digest = hmac.new(self._secret.encode(), f"{method}\n{path}\n{date}".encode(), hashlib.sha256).hexdigest()
        headers = {"Authorization": f"AMZN-PAY-RSASSA-PSS-V2 PublicKeyId={self._key_id}, "
                                    f"SignedHeaders=x-amz-pay-date, Signature={digest}",
                   "x-amz-pay-date": date, "x-amz-pay-region": self._region, "Content-Type": "application/json"}
        if idempotency_key:
            headers["x-amz-pay-idempotency-key"] = idempotency_key[:255]
        return headers

    def _send(self, method: str, path: str, body: dict | None = None, idempotency_key: str | None = None):
        started = time.perf_counter()
        try:
            response = self._http.request(method, self._base + path, json=body, timeout=self._timeout,
                                          headers=self._headers(method, path, idempotency_key))
        except requests.Timeout as e:
            raise GatewayError("timeout", "no answer from Amazon Pay", retriable=True, gateway=self.name,
                               latency_ms=(time.perf_counter() - started) * 1000) from e
        except requests.RequestException as e:
            raise GatewayError("timeout", f"Amazon Pay unreachable: {type(e).__name__}", retriable=True,
                               gateway=self.name, latency_ms=(time.perf_counter() - started) * 1000) from e
        ms = (time.perf_counter() - started) * 1000
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        if response.status_code >= 400:
            raise conv.http_error(response.status_code, payload, ms)
        return payload, ms

    def authorize(self, request: ChargeRequest) -> ChargeResult:
        session, ms = self._send("POST", f"/checkoutSessions/{request.method_token}/complete",
                                 {"chargeAmount": conv.price(request.amount, request.currency),
                                  "merchantReferenceId": request.reference},
                                 idempotency_key=f"{request.reference}:authorize")
        charge, ms2 = self._send("GET", f"/charges/{session['chargeId']}")
        result = conv.to_result(charge, ms + ms2)
        if result.status not in ("authorized", "captured"):
            raise conv.decline_error(charge, ms + ms2)
        return result

    def capture(self, gateway_reference: str, amount: int, reference: str) -> ChargeResult:
        charge, _ = self._send("GET", f"/charges/{gateway_reference}")
        currency = charge["chargeAmount"]["currencyCode"]
        charge, ms = self._send("POST", f"/charges/{gateway_reference}/capture",
                                {"captureAmount": conv.price(amount, currency)},
                                idempotency_key=f"{reference}:capture")
        return conv.to_result(charge, ms)

    def refund(self, gateway_reference: str, amount: int, reference: str) -> RefundResult:
        charge, _ = self._send("GET", f"/charges/{gateway_reference}")
        currency = charge["chargeAmount"]["currencyCode"]
        refund, ms = self._send("POST", "/refunds", {"chargeId": gateway_reference,
                                                      "refundAmount": conv.price(amount, currency)},
                                idempotency_key=f"{reference}:refund")
        if refund["statusDetails"]["state"] == "Declined":
            raise GatewayError("refund_declined", "Amazon Pay declined the refund", retriable=False,
                               gateway=self.name)
        return RefundResult(refund["refundId"], amount, ms)

    def void(self, gateway_reference: str, reference: str) -> ChargeResult:
        charge, ms = self._send("DELETE", f"/charges/{gateway_reference}/cancel",
                                {"cancellationReason": "SmartPay void"}, idempotency_key=f"{reference}:void")
        return conv.to_result(charge, ms)

    def status(self, request: ChargeRequest) -> ChargeResult | None:
        try:
            session, _ = self._send("GET", f"/checkoutSessions/{request.method_token}")
        except GatewayError as e:
            if e.code == "ResourceNotFound":
                return None
            raise
        if not session.get("chargeId"):
            return None
        charge, ms = self._send("GET", f"/charges/{session['chargeId']}")
        return conv.to_result(charge, ms)
