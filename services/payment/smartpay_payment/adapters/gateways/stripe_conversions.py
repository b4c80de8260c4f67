"""Conversions between our types and Stripe's (PaymentIntent, Refund, StripeError)."""

from __future__ import annotations

from typing import Any

import stripe

from smartpay_payment.domain.charges import ChargeResult, GatewayError

NAME = "stripe"
_RETRIABLE_CARD_CODES = {"processing_error", "try_again_later", "issuer_not_available", "reenter_transaction"}


def intent_params(reference: str, amount: int, currency: str, method_token: str, merchant_id: str) -> dict:
    return {"amount": amount, "currency": currency.lower(), "payment_method": method_token,
            "capture_method": "manual", "confirm": True,
            "metadata": {"smartpay_reference": reference, "smartpay_merchant": merchant_id}}


def _field(obj: Any, name: str, default: Any = None) -> Any:
    try:
        return obj[name] if obj is not None else default
    except (KeyError, TypeError):
        return getattr(obj, name, default)


def to_result(intent: Any, latency_ms: float | None = None) -> ChargeResult:
    status = intent.status
    charge = _field(intent, "latest_charge")
    if isinstance(charge, str) or charge is None:
        charge = None
    amount = int(intent.amount)
    if status == "requires_capture":
        mapped, captured = "authorized", 0
    elif status == "succeeded":
        # localstripe has no amount_received: the charge's own amount is what was captured.
        captured = int(_field(charge, "amount", amount) or amount)
        mapped = "captured"
    elif status == "canceled":
        mapped, captured = "voided", 0
    else:
        mapped, captured = "failed", 0
    refunded = int(_field(charge, "amount_refunded", 0) or 0)
    if mapped == "captured" and refunded:
        mapped = "refunded" if refunded >= captured else "partially_refunded"
    return ChargeResult(gateway_reference=intent.id, status=mapped, amount=amount, captured_amount=captured,
                        refunded_amount=refunded, latency_ms=latency_ms)


def to_error(error: stripe.StripeError, latency_ms: float | None) -> GatewayError:
    code = getattr(error, "code", None) or ""
    decline = getattr(getattr(error, "error", None), "decline_code", None)
    kwargs = {"gateway": NAME, "latency_ms": latency_ms}
    if isinstance(error, stripe.CardError):
        code = decline or code or "card_declined"
        return GatewayError(code, error.user_message or "card declined", retriable=code in _RETRIABLE_CARD_CODES,
                            declined=True, **kwargs)
    if isinstance(error, stripe.APIConnectionError):
        return GatewayError("timeout", "no answer from Stripe", retriable=True, **kwargs)
    if isinstance(error, stripe.RateLimitError):
        return GatewayError("rate_limited", "Stripe rate limit", retriable=True, **kwargs)
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        # Never echo the message: it can quote the key.
        return GatewayError("gateway_auth", "Stripe refused our credentials", retriable=False, **kwargs)
    status = getattr(error, "http_status", None) or 0
    if status >= 500 or isinstance(error, stripe.APIError):
        return GatewayError("gateway_5xx", f"Stripe answered {status}", retriable=True, **kwargs)
    return GatewayError(code or "invalid_request", str(getattr(error, "user_message", "") or error)[:300],
                        retriable=False, **kwargs)


def metadata(obj: Any) -> dict:
    """stripe 16 objects are not dicts."""
    raw = getattr(obj, "metadata", None)
    if raw is None:
        return {}
    return raw.to_dict() if hasattr(raw, "to_dict") else dict(raw)
