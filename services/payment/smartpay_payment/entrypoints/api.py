"""API Lambda of the payment service: POST /pay, GET /payments/{id}, POST /payments/{id}/refund."""

from importlib.metadata import version
from typing import Annotated, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from pydantic import BaseModel, ConfigDict, Field

from smartpay_shared.api import NotImplementedYet, build_resolver, merchant_id

logger = Logger(service="payment")
app = build_resolver("SmartPay payment", version("smartpay-payment"))

PaymentIdPath = Annotated[str, Path(pattern=r"^pay_[A-Za-z0-9]{8,40}$")]


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["card", "amazon_pay", "solana_wallet"]
    token: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_:.-]+$")


class PayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int = Field(gt=0, le=10**12, description="Minor units.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: PaymentMethodIn
    customer_id: str = Field(min_length=1, max_length=64)
    device_id: str | None = Field(default=None, max_length=128)
    ip_address: str | None = Field(default=None, max_length=45)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    metadata: dict[str, str] = Field(default_factory=dict, max_length=50)


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int | None = Field(default=None, gt=0, description="Minor units; omit for a full refund.")
    reason: str = Field(default="requested_by_customer", max_length=500)


@app.post("/pay")
def pay(
    request: PayRequest,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=256)],
) -> dict:
    merchant_id(app)
    raise NotImplementedYet("POST /pay", "issue #5")


@app.get("/payments/<payment_id>")
def get_payment(payment_id: PaymentIdPath) -> dict:
    merchant_id(app)
    raise NotImplementedYet("GET /payments/{id}", "issue #5")


@app.post("/payments/<payment_id>/refund")
def refund(payment_id: PaymentIdPath, request: RefundRequest) -> dict:
    merchant_id(app)
    raise NotImplementedYet("POST /payments/{id}/refund", "issue #5")


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
