"""API Lambda of the routing service: POST /route."""

from importlib.metadata import version
from typing import Literal

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field

from smartpay_shared.api import NotImplementedYet, build_resolver, merchant_id

logger = Logger(service="routing")
app = build_resolver("SmartPay routing", version("smartpay-routing"))

Gateway = Literal["stripe", "amazon_pay", "solana"]


class RouteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int = Field(gt=0, le=10**12, description="Minor units.")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    payment_method: Literal["card", "amazon_pay", "solana_wallet"]
    country: str = Field(pattern=r"^[A-Z]{2}$")
    merchant_category: str | None = Field(default=None, max_length=64)
    risk_score: float = Field(default=0.0, ge=0.0, le=1.0)
    excluded_gateways: list[Gateway] = Field(default_factory=list)


@app.post("/route")
def route(request: RouteRequest) -> dict:
    merchant_id(app)
    raise NotImplementedYet("POST /route", "issue #4")


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
