"""API Lambda of the payment service: POST /pay, GET /payments/{id}, POST /payments/{id}/refund."""

from importlib.metadata import version
from typing import Annotated, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartpay_payment import bootstrap
from smartpay_payment.adapters.idempotency import IdempotencyMismatch
from smartpay_payment.domain.model import RefundRefused
from smartpay_payment.service_layer.payments import PaymentNotFound, RefundFailed
from smartpay_shared.api import build_resolver, merchant_id

logger = Logger(service="payment")
app = build_resolver("SmartPay payment", version("smartpay-payment"))

PaymentIdPath = Annotated[str, Path(pattern=r"^pay_[A-Za-z0-9]{8,40}$")]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=256)]


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["card", "amazon_pay", "solana_wallet"]
    token: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_:.-]+$",
                       description="Gateway token (Stripe PaymentMethod, Amazon Pay checkout session, wallet).")
    last4: str | None = Field(default=None, pattern=r"^\d{4}$", description="Display hint; never a card number.")
    brand: str | None = Field(default=None, max_length=32)

    @field_validator("token")
    @classmethod
    def _not_a_card_number(cls, value: str) -> str:
        digits = value.replace("-", "").replace(".", "")
        if digits.isdigit() and 12 <= len(digits) <= 19:
            # The message names no digits: a 422 body must not echo a card number back.
            raise ValueError("looks like a card number: send the gateway's token, never the number")
        return value


class PayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int = Field(gt=0, le=10**12, description="Minor units.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: PaymentMethodIn
    customer_id: str = Field(min_length=1, max_length=64)
    device_id: str | None = Field(default=None, max_length=128)
    ip_address: str | None = Field(default=None, max_length=45)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    merchant_category: str | None = Field(default=None, max_length=64)
    metadata: dict[str, str] = Field(default_factory=dict, max_length=50)


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int | None = Field(default=None, gt=0, description="Minor units; omit for a full refund.")
    reason: str = Field(default="requested_by_customer", max_length=500)


def _json(status_code: int, body: dict) -> Response:
    return Response(status_code=status_code, content_type="application/json", body=body)


@app.exception_handler(PaymentNotFound)
def _not_found(exc: PaymentNotFound) -> Response:
    raise NotFoundError(f"payment {exc} not found")


@app.exception_handler(IdempotencyMismatch)
def _mismatch(exc: IdempotencyMismatch) -> Response:
    return _json(409, {"statusCode": 409, "message": str(exc)})


@app.exception_handler(RefundRefused)
def _refund_refused(exc: RefundRefused) -> Response:
    return _json(422, {"statusCode": 422, "message": str(exc), "detail": [{"loc": ["body", "amount"],
                                                                          "msg": str(exc)}]})


@app.exception_handler(RefundFailed)
def _refund_failed(exc: RefundFailed) -> Response:
    return _json(422, {"statusCode": 422, "message": str(exc), "code": exc.code})


@app.post("/pay", status_code=202)
def pay(request: PayRequest, idempotency_key: IdempotencyKey):
    status_code, body = bootstrap.service().pay(merchant_id(app), request.model_dump(), idempotency_key)
    return _json(status_code, body)


@app.get("/payments/<payment_id>")
def get_payment(payment_id: PaymentIdPath) -> dict:
    return bootstrap.service().get(merchant_id(app), payment_id)


@app.post("/payments/<payment_id>/refund")
def refund(payment_id: PaymentIdPath, request: RefundRequest,
           idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=256)] = None):
    status_code, body = bootstrap.service().refund(merchant_id(app), payment_id, request.amount, request.reason,
                                                   idempotency_key)
    return _json(status_code, body)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
