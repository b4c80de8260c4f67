"""Conversions between our types and Amazon Pay v2's (decimal-string amounts, statusDetails, reasonCodes)."""

from __future__ import annotations

from smartpay_payment.domain.charges import ChargeResult, GatewayError, MethodDetails
from smartpay_payment.domain.money import from_decimal_string, to_decimal_string

NAME = "amazon_pay"
_STATES = {"Authorized": "authorized", "Captured": "captured", "Canceled": "voided", "Declined": "failed",
           "AuthorizationInitiated": "failed", "CaptureInitiated": "authorized"}
_RETRIABLE_REASONS = {"ProcessingFailure", "SoftDeclined", "ServiceUnavailable", "InternalServerError",
                      "TooManyRequests"}


def price(amount: int, currency: str) -> dict:
    return {"amount": to_decimal_string(amount, currency), "currencyCode": currency}


def to_result(charge: dict, latency_ms: float | None = None) -> ChargeResult:
    currency = charge["chargeAmount"]["currencyCode"]
    amount = from_decimal_string(charge["chargeAmount"]["amount"], currency)
    status = _STATES.get(charge["statusDetails"]["state"], "failed")
    captured = from_decimal_string(charge["captureAmount"]["amount"], currency) if charge.get("captureAmount") else 0
    refunded = from_decimal_string(charge.get("refundedAmount", {}).get("amount", "0"), currency)
    if status == "captured" and refunded:
        status = "refunded" if refunded >= captured else "partially_refunded"
    return ChargeResult(charge["chargeId"], status, amount, captured, refunded, latency_ms)


def decline_error(charge: dict, latency_ms: float | None) -> GatewayError:
    reason = charge["statusDetails"].get("reasonCode") or "Declined"
    return GatewayError(reason, f"Amazon Pay declined ({reason})", retriable=reason in _RETRIABLE_REASONS,
                        declined=True, gateway=NAME, latency_ms=latency_ms)


def http_error(status: int, body: dict, latency_ms: float | None) -> GatewayError:
    reason = body.get("reasonCode") or f"http_{status}"
    if status >= 500 or status == 429:
        return GatewayError("gateway_5xx" if status >= 500 else "rate_limited", f"Amazon Pay {status} {reason}",
                            retriable=True, gateway=NAME, latency_ms=latency_ms)
    if status in (401, 403):
        return GatewayError("gateway_auth", "Amazon Pay refused our signature", retriable=False, gateway=NAME,
                            latency_ms=latency_ms)
    return GatewayError(reason, str(body.get("message", ""))[:300], retriable=False, gateway=NAME,
                        latency_ms=latency_ms)


def method_details(permission: dict) -> MethodDetails:
    """Brand and last4 from a charge permission's payment descriptor ("Visa ****1111"); the sandbox's
    `sandboxCard` adds the expiry (Amazon Pay itself does not disclose it)."""
    card = permission.get("sandboxCard") or {}
    descriptor = ((permission.get("paymentPreferences") or [{}])[0] or {}).get("paymentDescriptor") or ""
    brand, _, masked = descriptor.rpartition(" ")
    last4 = masked[-4:] if masked[-4:].isdigit() else None
    return MethodDetails(last4=card.get("last4") or last4, brand=(card.get("brand") or brand or None) and
                         (card.get("brand") or brand).lower(), exp_month=card.get("expMonth"),
                         exp_year=card.get("expYear"))
