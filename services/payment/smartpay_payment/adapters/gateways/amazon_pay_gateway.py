"""Amazon Pay v2 connector: checkout session complete (authorize), charge capture/cancel, refunds; the
method token is the buyer's checkout session id. Points at the local sandbox or at Amazon Pay."""

from __future__ import annotations

import json
import time

import requests

from smartpay_payment.adapters.gateways import amazon_pay_conversions as conv
from smartpay_payment.adapters.gateways import amazon_pay_signing as signing
from smartpay_payment.domain.charges import ChargeRequest, ChargeResult, GatewayError, MethodDetails, RefundResult
from smartpay_payment.service_layer.ports import Gateway

CHARGE_PERMISSION = "cp:"  # token prefix of a card on file (a charge permission); else a checkout session id


class AmazonPayGateway(Gateway):
    name = conv.NAME

    def __init__(self, endpoint: str, public_key_id: str, private_key: str, *, sandbox: bool = True,
                 timeout_seconds: float = 10.0, region: str = "us"):
        self._base = endpoint.rstrip("/") + ("/sandbox/v2" if sandbox else "/v2")
        self._root, self._sandbox = endpoint.rstrip("/"), sandbox
        self._key_id = public_key_id
        self._key = signing.load_private_key(private_key)  # a bad key fails here, at cold start
        self._timeout = timeout_seconds
        self._region = region
        self._http = requests.Session()

    def __repr__(self) -> str:
        return f"AmazonPayGateway(public_key_id={self._key_id}, private_key=***)"

    def _signed(self, method: str, url: str, body: dict | None, idempotency_key: str | None) -> tuple[bytes, dict]:
        """The exact bytes sent and their AMZN-PAY-RSASSA-PSS-V2 headers (the signature covers the body)."""
        payload = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        return payload, signing.signed_headers(self._key, self._key_id, method, url, payload, region=self._region,
                                               idempotency_key=idempotency_key[:255] if idempotency_key else None)

    def _send(self, method: str, path: str, body: dict | None = None, idempotency_key: str | None = None):
        started = time.perf_counter()
        try:
            payload, headers = self._signed(method, self._base + path, body, idempotency_key)
            response = self._http.request(method, self._base + path, data=payload, timeout=self._timeout,
                                          headers=headers)
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
        if request.method_token.startswith(CHARGE_PERMISSION):
            return self._authorize_on_file(request)
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

    def _authorize_on_file(self, request: ChargeRequest) -> ChargeResult:
        """Create Charge on the card on file (captureNow false), idempotent on our reference."""
        charge, ms = self._send("POST", "/charges", {
            "chargePermissionId": request.method_token.removeprefix(CHARGE_PERMISSION),
            "chargeAmount": conv.price(request.amount, request.currency), "captureNow": False,
            "canHandlePendingAuthorization": False,
            "merchantMetadata": {"merchantReferenceId": request.reference}},
            idempotency_key=f"{request.reference}:authorize")
        result = conv.to_result(charge, ms)
        if result.status not in ("authorized", "captured"):
            raise conv.decline_error(charge, ms)
        return result

    def describe(self, token: str) -> MethodDetails:
        if not token.startswith(CHARGE_PERMISSION):
            raise GatewayError("not_on_file", "a checkout session is not a card on file", retriable=False,
                               gateway=self.name)
        permission, _ = self._send("GET", f"/chargePermissions/{token.removeprefix(CHARGE_PERMISSION)}")
        if permission["statusDetails"]["state"] != "Chargeable":
            raise GatewayError("not_chargeable", f"charge permission is {permission['statusDetails']['state']}",
                               retriable=False, gateway=self.name)
        return conv.method_details(permission)

    def _status_on_file(self, request: ChargeRequest) -> ChargeResult | None:
        if not self._sandbox:
            # Amazon Pay has no lookup of charges by merchantReferenceId: production needs the charge id
            # recorded before the call, or IPN/reports. Not built: fail loudly rather than guess.
            raise NotImplementedError("status of a card-on-file charge needs the sandbox's reference lookup")
        try:
            response = self._http.get(f"{self._root}/__sandbox/charges/by-reference/{request.reference}",
                                      timeout=self._timeout)
        except requests.RequestException as e:
            raise GatewayError("timeout", f"Amazon Pay unreachable: {type(e).__name__}", retriable=True,
                               gateway=self.name) from e
        if response.status_code >= 400:
            raise conv.http_error(response.status_code, {}, None)
        charges = response.json()["charges"]
        if not charges:
            return None
        results = [conv.to_result(c) for c in charges]  # one per reference (idempotency key); more = drift
        primary = results[0]
        return ChargeResult(primary.gateway_reference, primary.status, primary.amount,
                            sum(r.captured_amount for r in results), sum(r.refunded_amount for r in results))

    def status(self, request: ChargeRequest) -> ChargeResult | None:
        if request.method_token.startswith(CHARGE_PERMISSION):
            return self._status_on_file(request)
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
