"""Payload (`data`) models of the catalog's event types. Amounts are integers in minor units."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from smartpay_shared.money import Currency, MinorUnits

PaymentId = Field(pattern=r"^pay_[A-Za-z0-9]{8,40}$", description="SmartPay payment id.")
MerchantId = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
Gateway = Literal["stripe", "amazon_pay", "solana"]
# The card networks' dispute reasons (as Stripe names them); the fraud service labels `fraudulent` and
# `unrecognized` disputes as fraud, the others are commercial disputes.
DisputeReason = Literal["fraudulent", "unrecognized", "duplicate", "product_not_received", "product_unacceptable",
                        "subscription_canceled", "credit_not_processed", "general"]
FraudReportReason = Literal["stolen_card", "account_takeover", "card_testing", "identity_theft", "other"]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    payment_id: str = PaymentId
    merchant_id: str = MerchantId


class PaymentMethod(BaseModel):
    """How the customer pays. Never a card number: a gateway token and display hints only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["card", "amazon_pay", "solana_wallet"]
    token: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_:.-]+$")
    last4: str | None = Field(default=None, pattern=r"^\d{4}$")
    brand: str | None = Field(default=None, max_length=32)


class PaymentRequested(Payload):
    currency: Currency
    amount: MinorUnits
    payment_method: PaymentMethod
    customer_id: str = Field(min_length=1, max_length=64)
    device_id: str | None = Field(default=None, max_length=128)
    ip_address: str | None = Field(default=None, max_length=45)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    merchant_category: str | None = Field(default=None, max_length=64)
    metadata: dict[str, str] = Field(default_factory=dict, max_length=50)
    method_gateways: list[Gateway] | None = Field(
        default=None, description="Gateways the payment method holds a token on (schema 1.1); None: not said.")


class PaymentContext(BaseModel):
    """What routing needs to know about a payment, carried on the events that ask for a route."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Currency
    amount: MinorUnits
    method: Literal["card", "amazon_pay", "solana_wallet"]
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    merchant_category: str | None = Field(default=None, max_length=64)
    gateways: list[Gateway] | None = Field(
        default=None, description="Gateways the payment method can be charged on (schema 1.1): routing picks "
                                  "only among these; None: any gateway that takes the method.")


class FraudReason(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    feature: str
    contribution: float
    description: str


class FraudAssessed(Payload):
    score: float = Field(ge=0.0, le=1.0)
    decision: Literal["approve", "review", "decline"]
    model_version: str
    threshold_version: str
    reasons: list[FraudReason] = Field(default_factory=list, max_length=20)
    payment: PaymentContext


class RouteRequested(Payload):
    attempt: int = Field(ge=1, le=10)
    excluded_gateways: list[Gateway] = Field(default_factory=list)
    reason: str = Field(max_length=500)
    payment: PaymentContext
    risk_score: float = Field(ge=0.0, le=1.0)


class RouteSelected(Payload):
    attempt: int = Field(ge=1, le=10)
    gateway: Gateway
    fallbacks: list[Gateway] = Field(default_factory=list)
    propensity: float = Field(gt=0.0, le=1.0)
    policy_version: str
    explanation: str = Field(max_length=2000)


class RouteUnavailable(Payload):
    """No gateway can take this payment (none eligible, all excluded or circuit-open)."""

    attempt: int = Field(ge=1, le=10)
    code: Literal["no_eligible_gateway", "unsupported_payment"]
    reason: str = Field(max_length=500)


class PaymentAuthorized(Payload):
    attempt: int = Field(ge=1, le=10)
    gateway: Gateway
    gateway_reference: str = Field(max_length=256)
    currency: Currency
    amount: MinorUnits
    latency_ms: float | None = Field(default=None, ge=0, description="Gateway call latency.")


class PaymentCaptured(PaymentAuthorized):
    customer_id: str | None = Field(
        default=None, min_length=1, max_length=64,
        description="The merchant's customer the payment is for (schema 1.1: rewards credits this customer); "
                    "None: a 1.0 producer.")


class PaymentFailed(Payload):
    attempt: int = Field(ge=1, le=10)
    gateway: Gateway | None = None
    code: str = Field(max_length=64)
    reason: str = Field(max_length=500)
    retriable: bool
    latency_ms: float | None = Field(default=None, ge=0, description="Gateway call latency.")


class PaymentDeclined(Payload):
    stage: Literal["fraud", "gateway"]
    code: str = Field(max_length=64)
    reason: str = Field(max_length=500)


class PaymentRefunded(Payload):
    gateway: Gateway
    refund_id: str = Field(max_length=256)
    currency: Currency
    amount: MinorUnits
    total_refunded: MinorUnits
    reason: str = Field(max_length=500)
    payment: PaymentSnapshot


class AttemptSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    attempt: int = Field(ge=1, le=10)
    gateway: Gateway
    outcome: Literal["captured", "declined", "failed", "timeout"]
    code: str | None = Field(default=None, max_length=64)
    latency_ms: float | None = Field(default=None, ge=0)


class TimelineEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    state: str = Field(max_length=32)
    at: AwareDatetime
    detail: str | None = Field(default=None, max_length=500)


class PaymentSnapshot(BaseModel):
    """The payment as its record stands: what the index and the timeline need, never a card number."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1, description="The payment record's version; later versions win.")
    status: Literal["captured", "declined", "failed", "refunded", "partially_refunded"]
    currency: Currency
    amount: MinorUnits
    method: Literal["card", "amazon_pay", "solana_wallet"]
    card_last4: str | None = Field(default=None, pattern=r"^\d{4}$")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    merchant_category: str | None = Field(default=None, max_length=64)
    customer_id: str = Field(min_length=1, max_length=64)
    gateway: Gateway | None = None
    attempts: list[AttemptSummary] = Field(default_factory=list, max_length=10)
    fraud_score: float | None = Field(default=None, ge=0.0, le=1.0)
    fraud_decision: Literal["approve", "review", "decline"] | None = None
    fraud_reasons: list[FraudReason] = Field(default_factory=list, max_length=20)
    routing_explanation: str | None = Field(default=None, max_length=2000)
    captured_amount: int = Field(default=0, ge=0)
    refunded_amount: int = Field(default=0, ge=0)
    decline_code: str | None = Field(default=None, max_length=64)
    decline_reason: str | None = Field(default=None, max_length=500)
    created_at: AwareDatetime
    completed_at: AwareDatetime | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list, max_length=100)


class PaymentCompleted(Payload):
    status: Literal["captured", "declined", "failed", "refunded"]
    payment: PaymentSnapshot


class PaymentIndexed(Payload):
    index: str = Field(max_length=128)
    document_version: int = Field(ge=1)


class PaymentDisputed(Payload):
    """A chargeback on a captured payment, recorded by the payment service (POST /payments/{id}/disputes)."""

    dispute_id: str = Field(pattern=r"^dsp_[A-Za-z0-9]{8,40}$", description="SmartPay dispute id.")
    currency: Currency
    amount: MinorUnits = Field(description="The disputed amount (at most what was captured and not refunded).")
    reason: DisputeReason
    known_at: AwareDatetime = Field(description="When the dispute became known to the merchant (not before the "
                                                "payment, not in the future when recorded).")
    gateway: Gateway | None = None


class FraudReported(Payload):
    """A merchant reports a payment as fraud (POST /fraud/reports): a label for the fraud service's features."""

    payment_id: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$",
                            description="The id the payment was scored under: a SmartPay payment id, or the "
                                        "payment_id sent to POST /fraud.")
    report_id: str = Field(pattern=r"^frp_[A-Za-z0-9]{8,40}$", description="SmartPay fraud report id.")
    reason: FraudReportReason
    known_at: AwareDatetime = Field(description="When the fraud became known to the merchant.")
