"""API Lambda of the fraud service: POST /fraud."""

from importlib.metadata import version
from typing import Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from smartpay_shared.api import NotImplementedYet, build_resolver, merchant_id

logger = Logger(service="fraud")
app = build_resolver("SmartPay fraud", version("smartpay-fraud"))


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["card", "amazon_pay", "solana_wallet"]
    token: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_:.-]+$")


class FraudRequest(BaseModel):
    """A payment to score. The merchant comes from the token, not from this body."""

    model_config = ConfigDict(extra="forbid")
    amount: int = Field(gt=0, le=10**12, description="Minor units.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: PaymentMethodIn
    customer_id: str = Field(min_length=1, max_length=64)
    device_id: str | None = Field(default=None, max_length=128)
    ip_address: str | None = Field(default=None, max_length=45)
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    merchant_category: str | None = Field(default=None, max_length=64)


@app.post("/fraud")
def score(request: FraudRequest) -> dict:
    merchant_id(app)
    raise NotImplementedYet("POST /fraud", "issue #3")


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
