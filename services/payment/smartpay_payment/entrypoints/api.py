"""API Lambda of the payment service: POST /pay, GET /payments/{id}, POST /payments/{id}/refund,
POST /payments/{id}/disputes, and the payment-method vault: POST /payment-methods, GET /payment-methods/{vault_id}."""

from importlib.metadata import version
from typing import Annotated, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, StrictStr, field_validator, model_validator

from smartpay_payment import bootstrap
from smartpay_payment.adapters.idempotency import IdempotencyMismatch
from smartpay_payment.domain.model import DisputeRefused, RefundRefused
from smartpay_payment.domain.vault import InconsistentMethod
from smartpay_payment.service_layer.payments import PaymentNotFound, RefundFailed
from smartpay_payment.service_layer.vault import TokenRejected, UnknownMethod
from smartpay_shared import pan
from smartpay_shared.events.payloads import DisputeReason
from smartpay_shared.api import build_resolver, merchant_id
from smartpay_shared.money import MAX_MINOR_UNITS, Priced
from smartpay_shared.text import Text, TextMap

logger = Logger(service="payment")
app = build_resolver("SmartPay payment", version("smartpay-payment"))

PaymentIdPath = Annotated[str, Path(pattern=r"^pay_[A-Za-z0-9]{8,40}$")]
VaultIdPath = Annotated[str, Path(pattern=r"^pmv_[a-f0-9]{32}$")]
TOKEN = r"^[A-Za-z0-9_:.-]+$"
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=256)]


class PaymentMethodIn(BaseModel):
    # token xor vault_id, said in the schema too; neither may be sent as null (absent is the only "none").
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "oneOf": [{"required": ["token"]}, {"required": ["vault_id"]}]})
    type: Literal["card", "amazon_pay", "solana_wallet"]
    token: StrictStr = Field(default=None, min_length=1, max_length=128, pattern=TOKEN,
                              description="Gateway token (Stripe PaymentMethod, Amazon Pay checkout session, "
                                          "wallet). Either this or vault_id.")
    vault_id: StrictStr = Field(default=None, pattern=r"^pmv_[a-f0-9]{32}$",
                                 description="A card kept in the vault (POST /payment-methods): charged on "
                                             "whichever of its gateways routing picks.")
    last4: StrictStr | None = Field(default=None, pattern=r"^[0-9]{4}$", description="Display hint; never a card number.")
    brand: Text(32) | None = None

    @field_validator("token")
    @classmethod
    def _not_a_card_number(cls, value: str | None) -> str | None:
        return _not_a_card_number(value)

    @model_validator(mode="after")
    def _one_reference(self):
        if (self.token is None) == (self.vault_id is None):
            raise ValueError("send exactly one of token and vault_id")
        return self


def _not_a_card_number(value: str | None) -> str | None:
    digits = (value or "").replace("-", "").replace(".", "").replace(" ", "")
    # Stricter than the shared definition on purpose: a token is never a bare run of 12-19 digits.
    if (digits.isdigit() and 12 <= len(digits) <= 19) or pan.contains_pan(value or "", in_words=True):
        # The message names no digits: a 422 body must not echo a card number back.
        raise ValueError("looks like a card number: send the gateway's token, never the number")
    return value


class VaultRequest(BaseModel):
    """A card as the tokens each gateway holds for it (each checked with its gateway; never the number)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["card"] = "card"
    customer_id: Text(64, min_length=1)
    gateway_tokens: dict[Literal["stripe", "amazon_pay"], Annotated[str, Field(min_length=1, max_length=128,
                                                                               pattern=TOKEN)]] = Field(
        min_length=1, description='e.g. {"stripe": "pm_...", "amazon_pay": "cp:<chargePermissionId>"}')

    @field_validator("gateway_tokens")
    @classmethod
    def _no_card_numbers(cls, value: dict) -> dict:
        for token in value.values():
            _not_a_card_number(token)
        return value


class PayRequest(Priced):
    payment_method: PaymentMethodIn
    customer_id: Text(64, min_length=1)
    device_id: Text(128) | None = None
    ip_address: Text(45) | None = None
    country: StrictStr | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    merchant_category: Text(64) | None = None
    metadata: TextMap(key_length=40, value_length=500, max_items=50) = Field(default_factory=dict)


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Annotated[int, Strict()] | None = Field(default=None, gt=0, le=MAX_MINOR_UNITS,
                                                  description="JSON integer of minor units; omit for a full refund.")
    reason: Text(500, free=True) = "requested_by_customer"


class DisputeRequest(BaseModel):
    """A chargeback the merchant learnt of (from its gateway or acquirer) on one of its captured payments."""

    model_config = ConfigDict(extra="forbid")
    reason: DisputeReason = Field(description="The network's dispute reason; `fraudulent` and `unrecognized` "
                                              "become fraud labels for the fraud service.")
    known_at: AwareDatetime | None = Field(default=None, description="When the dispute became known (ISO 8601 "
                                           "with an offset); not before the payment, not in the future. Default: now.")
    amount: Annotated[int, Strict()] | None = Field(default=None, gt=0, le=MAX_MINOR_UNITS,
                                                  description="JSON integer of minor units; omit for all that is "
                                                              "captured and not refunded.")


class DisputeOut(BaseModel):
    """201: the dispute recorded (payment.disputed is published); 200: the same dispute, already recorded."""
    payment_id: str
    dispute_id: str
    amount: int
    currency: str
    reason: str
    known_at: str
    recorded_at: str
    refundable_amount: int


class PaymentAccepted(BaseModel):
    """202 to POST /pay: the payment is on its way; GET /payments/{payment_id} follows it."""
    payment_id: str
    status: Literal["requested"]
    currency: str
    amount: int
    created_at: str


class PaymentMethodOut(BaseModel):
    """A vaulted card as the merchant sees it: which gateways hold it, never the tokens."""
    vault_id: str
    type: Literal["card"]
    customer_id: str
    gateways: list[str]
    last4: str | None = None
    brand: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    created_at: str


def _ok(status: int, model: type[BaseModel], description: str) -> dict:
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}


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


@app.exception_handler(DisputeRefused)
def _dispute_refused(exc: DisputeRefused) -> Response:
    if exc.conflict:
        return _json(409, {"statusCode": 409, "message": str(exc)})
    detail = [{"loc": ["body", exc.field], "msg": str(exc)}] if exc.field else []
    return _json(422, {"statusCode": 422, "message": str(exc), "detail": detail})


@app.exception_handler(RefundFailed)
def _refund_failed(exc: RefundFailed) -> Response:
    return _json(422, {"statusCode": 422, "message": str(exc), "code": exc.code})


@app.exception_handler(UnknownMethod)
def _unknown_method(exc: UnknownMethod) -> Response:
    message = f"no payment method {exc} of this type in your vault"
    return _json(422, {"statusCode": 422, "message": message,
                       "detail": [{"loc": ["body", "payment_method", "vault_id"], "msg": message}]})


@app.exception_handler(TokenRejected)
def _token_rejected(exc: TokenRejected) -> Response:
    return _json(422, {"statusCode": 422, "message": str(exc),
                       "detail": [{"loc": ["body", "gateway_tokens", exc.gateway], "msg": str(exc)}]})


@app.exception_handler(InconsistentMethod)
def _inconsistent(exc: InconsistentMethod) -> Response:
    return _json(422, {"statusCode": 422, "message": str(exc),
                       "detail": [{"loc": ["body", "gateway_tokens"], "msg": str(exc)}]})


@app.post("/pay", status_code=202, responses=_ok(202, PaymentAccepted, "Accepted: the saga runs"))
def pay(request: PayRequest, idempotency_key: IdempotencyKey):
    body = request.model_dump()
    body["payment_method"] = {k: v for k, v in body["payment_method"].items()  # the reference not sent
                              if v is not None or k not in ("token", "vault_id")}
    status_code, body = bootstrap.service().pay(merchant_id(app), body, idempotency_key)
    return _json(status_code, body)


@app.post("/payment-methods", status_code=201, responses=_ok(201, PaymentMethodOut, "The card is in the vault"))
def add_payment_method(request: VaultRequest):
    method = bootstrap.service().vault.enroll(merchant_id(app), request.customer_id, request.gateway_tokens)
    return _json(201, method.view())


@app.get("/payment-methods/<vault_id>", responses=_ok(200, PaymentMethodOut, "The vaulted card"))
def get_payment_method(vault_id: VaultIdPath) -> dict:
    try:
        return bootstrap.service().vault.get(merchant_id(app), vault_id).view()
    except UnknownMethod:
        raise NotFoundError(f"payment method {vault_id} not found") from None


@app.get("/payments/<payment_id>")
def get_payment(payment_id: PaymentIdPath) -> dict:
    return bootstrap.service().get(merchant_id(app), payment_id)


@app.post("/payments/<payment_id>/refund")
def refund(payment_id: PaymentIdPath, request: RefundRequest,
           idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=256)] = None):
    status_code, body = bootstrap.service().refund(merchant_id(app), payment_id, request.amount, request.reason,
                                                   idempotency_key)
    return _json(status_code, body)


@app.post("/payments/<payment_id>/disputes", status_code=201,
          responses={**_ok(201, DisputeOut, "The dispute is recorded"),
                     **_ok(200, DisputeOut, "The same dispute was recorded before")})
def dispute(payment_id: PaymentIdPath, request: DisputeRequest):
    status_code, body = bootstrap.service().dispute(merchant_id(app), payment_id, request.amount, request.reason,
                                                    request.known_at)
    return _json(status_code, body)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
