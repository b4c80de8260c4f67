"""API Lambda of the fraud service: POST /fraud (score a payment), POST /fraud/reports (report one as fraud)."""

import time
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from smartpay_shared import aws, ids
from smartpay_shared.api import Unavailable, build_resolver, merchant_id
from smartpay_shared.config import platform_settings
from smartpay_shared.events import Producer
from smartpay_shared.events.payloads import FraudReportReason
from smartpay_shared.runtime.publisher import EventPublisher, PublishError
from smartpay_shared.money import Priced
from smartpay_shared.text import Text

from smartpay_fraud import bootstrap
from smartpay_fraud.domain.errors import (FeatureStoreUnavailable, InvalidLabel, InvalidTransaction, ModelNotAvailable,
                                         UnknownPayment)
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.service_layer.labels import report_fraud

logger = Logger(service="fraud")
app = build_resolver("SmartPay fraud", version("smartpay-fraud"))
PRODUCER = Producer(service="fraud", version=version("smartpay-fraud"))
_BODY_FIELD = {"card_id": "payment_method.token"}


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["card", "amazon_pay", "solana_wallet"]
    token: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_:.-]+$")


class FraudRequest(Priced):
    """A payment to score. The merchant comes from the token, not from this body."""

    model_config = ConfigDict(extra="forbid")
    payment_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$",
                                   description="Scoring the same id twice counts it once in the velocity windows.")
    payment_method: PaymentMethodIn
    customer_id: Text(64, min_length=1)
    device_id: Text(128) | None = None
    ip_address: Text(45) | None = None
    country: StrictStr | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    merchant_category: Text(64) | None = None


class ReasonOut(BaseModel):
    feature: str
    contribution: float
    description: str


class FraudResponse(BaseModel):
    payment_id: str
    score: float
    decision: Literal["approve", "review", "decline"]
    model_version: str
    threshold_version: str
    reasons: list[ReasonOut]


class FraudReportRequest(BaseModel):
    """A payment the merchant found to be fraud. The merchant comes from the token, not from this body."""

    model_config = ConfigDict(extra="forbid")
    payment_id: StrictStr = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$",
                                  description="The id the payment was scored under: a SmartPay payment id, or the "
                                              "payment_id sent to POST /fraud.")
    reason: FraudReportReason
    known_at: AwareDatetime | None = Field(default=None, description="When the fraud became known (ISO 8601 with an "
                                           "offset); not before the payment, not in the future. Default: now.")


class FraudReportAccepted(BaseModel):
    report_id: str
    payment_id: str
    reason: str
    known_at: str
    status: Literal["accepted"]


@app.exception_handler(InvalidLabel)
def _invalid_label(exc: InvalidLabel) -> Response:
    return Response(status_code=422, content_type="application/json",
                    body={"statusCode": 422, "detail": [{"loc": ["body", exc.field], "msg": exc.message,
                                                         "type": "value_error"}]})


@app.exception_handler(InvalidTransaction)
def _invalid(exc: InvalidTransaction) -> Response:
    loc = ["body", *_BODY_FIELD.get(exc.field, exc.field).split(".")]
    return Response(status_code=422, content_type="application/json",
                    body={"statusCode": 422, "detail": [{"loc": loc, "msg": exc.message, "type": "value_error"}]})


@app.post("/fraud")
def score(request: FraudRequest) -> FraudResponse:
    merchant = merchant_id(app)
    payment_id = request.payment_id or ids.new_id("fraud_")
    txn = Transaction(
        transaction_id=f"{merchant}:{payment_id}", timestamp_ms=int(time.time() * 1000), amount=request.amount,
        currency=request.currency, merchant_id=merchant, card_id=request.payment_method.token,
        customer_id=request.customer_id, device_id=request.device_id, ip_address=request.ip_address,
        country=request.country, merchant_category=request.merchant_category)
    try:
        assessment = bootstrap.scoring_service().score(txn)
    except (ModelNotAvailable, FeatureStoreUnavailable) as e:  # the cause (hosts, buckets) goes to the log only
        raise Unavailable("fraud scoring", e, retry_after_seconds=5) from None
    return FraudResponse(payment_id=payment_id, **assessment.to_dict())


@app.post("/fraud/reports", status_code=202, responses={202: {
    "description": "Accepted: fraud.reported is published; the label counts for payments from known_at on",
    "content": {"application/json": {"model": FraudReportAccepted}}}})
def report(request: FraudReportRequest):
    merchant = merchant_id(app)
    now = datetime.now(UTC)
    try:
        publisher = EventPublisher(aws.client("events"), platform_settings().event_bus)
        out = report_fraud(bootstrap.label_store(), publisher, PRODUCER, merchant, request.payment_id,
                           request.reason, request.known_at, now)
    except UnknownPayment:
        raise NotFoundError(f"payment {request.payment_id} not found") from None
    except (FeatureStoreUnavailable, PublishError) as e:
        raise Unavailable("fraud reports", e, retry_after_seconds=5) from None
    data = out.data
    body = FraudReportAccepted(report_id=data.report_id, payment_id=data.payment_id, reason=data.reason,
                               known_at=data.known_at.isoformat(), status="accepted")
    return Response(status_code=202, content_type="application/json", body=body.model_dump())


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
