"""The connectors' vocabulary: what the saga asks a gateway (a charge request, in minor units, under our
deterministic reference), what it answers, and its one error type. Pure values: the gateway port that
uses them is in service_layer/ports.py, the connectors in adapters/gateways/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smartpay_payment.domain.model import Payment

ChargeStatus = Literal["authorized", "captured", "voided", "failed", "refunded", "partially_refunded"]


class GatewayError(Exception):
    """Every provider failure, mapped: `code` is the decline/error code, `retriable` says whether
    another attempt (on another gateway) may succeed, `declined` that the payer was refused."""

    def __init__(self, code: str, message: str, *, retriable: bool, declined: bool = False,
                 gateway: str = "", latency_ms: float | None = None):
        super().__init__(f"{gateway or 'gateway'} {code}: {message}")
        self.code = code
        self.message = message
        self.retriable = retriable
        self.declined = declined
        self.gateway = gateway
        self.latency_ms = latency_ms


@dataclass(frozen=True)
class ChargeRequest:
    reference: str  # ours, deterministic per payment attempt: the gateway-side idempotency anchor
    amount: int  # minor units
    currency: str
    method_token: str
    customer_id: str
    merchant_id: str


@dataclass(frozen=True)
class ChargeResult:
    gateway_reference: str
    status: ChargeStatus
    amount: int
    captured_amount: int = 0
    refunded_amount: int = 0
    latency_ms: float | None = None

    @property
    def holds_money(self) -> bool:
        """An authorization or a capture the gateway keeps (what a reroute must never leave behind)."""
        return self.status in ("authorized", "captured")


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    amount: int
    latency_ms: float | None = None


@dataclass(frozen=True)
class MethodDetails:
    """What a gateway says about a stored payment method (never a card number)."""

    last4: str | None = None
    brand: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


def charge_request(payment: Payment, attempt: int | None = None) -> ChargeRequest:
    """The request of one attempt (the current one by default), with the method's token on that attempt's
    gateway: what the charge, the status reads of a resume and the ledger check all send."""
    if attempt is not None and attempt != payment.attempt:
        payment = payment.model_copy(update={"attempt": attempt})
    token = payment.token_for(payment.attempt_gateway()) or payment.payment_method.token
    return ChargeRequest(reference=payment.reference(), amount=payment.amount, currency=payment.currency,
                         method_token=token, customer_id=payment.customer_id, merchant_id=payment.merchant_id)
