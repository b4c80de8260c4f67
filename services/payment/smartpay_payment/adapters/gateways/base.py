"""The one capability interface every gateway connector implements, and its one error type."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Literal

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


class Gateway(abc.ABC):
    name: str

    def describe(self, token: str) -> MethodDetails:
        """The stored method behind `token` (the vault checks a token before keeping it); GatewayError
        when the gateway does not know it or cannot store cards."""
        raise GatewayError("unsupported", f"{self.name} keeps no card on file", retriable=False, gateway=self.name)

    @abc.abstractmethod
    def authorize(self, request: ChargeRequest) -> ChargeResult:
        """Reserve the amount; repeating it with the same reference never reserves twice."""

    @abc.abstractmethod
    def capture(self, gateway_reference: str, amount: int, reference: str) -> ChargeResult: ...

    @abc.abstractmethod
    def refund(self, gateway_reference: str, amount: int, reference: str) -> RefundResult:
        """`reference` identifies this refund: repeating it never refunds twice."""

    @abc.abstractmethod
    def void(self, gateway_reference: str, reference: str) -> ChargeResult: ...

    @abc.abstractmethod
    def status(self, request: ChargeRequest) -> ChargeResult | None:
        """What the gateway holds for this attempt (request.reference; None: it never saw it)."""
