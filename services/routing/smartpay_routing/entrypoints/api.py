"""API Lambda of the routing service: POST /route (decide only: nothing is stored or learnt)."""

import time
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Literal

import redis
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from smartpay_shared import aws
from smartpay_shared.api import build_resolver, merchant_id
from smartpay_shared.money import Priced
from smartpay_shared.text import Text

from smartpay_routing import bootstrap
from smartpay_routing.config import routing_settings
from smartpay_routing.domain.errors import NoEligibleGateway, UnsupportedPayment
from smartpay_routing.domain.model import RouteContext

logger = Logger(service="routing")
app = build_resolver("SmartPay routing", version("smartpay-routing"))

Gateway = Literal["stripe", "amazon_pay", "solana"]
_state: dict = {}


class RouteRequest(Priced):
    payment_method: Literal["card", "amazon_pay", "solana_wallet"]
    country: StrictStr = Field(pattern=r"^[A-Z]{2}$")
    merchant_category: Text(64) | None = None
    risk_score: float = Field(default=0.0, ge=0.0, le=1.0, strict=True)
    excluded_gateways: list[Gateway] = Field(default_factory=list)


class RouteResponse(BaseModel):
    gateway: Gateway
    fallbacks: list[Gateway]
    propensity: float
    policy_version: str
    explanation: str
    mode: str
    probabilities: dict[str, float]


def service():
    """The decision service, rebuilt from the newest checkpoint every model_refresh_seconds."""
    settings = routing_settings()
    if "service" not in _state or time.monotonic() - _state["built"] > settings.model_refresh_seconds:
        client = _state.setdefault("redis", redis.Redis.from_url(settings.redis_url))
        _state["service"] = bootstrap.build(settings, s3=aws.client("s3"), redis_client=client)
        _state["built"] = time.monotonic()
    return _state["service"]


@app.exception_handler(UnsupportedPayment)
def _unsupported(exc: UnsupportedPayment) -> Response:
    return Response(status_code=422, content_type="application/json",
                    body={"statusCode": 422, "message": exc.reason, "field": exc.field})


@app.exception_handler(NoEligibleGateway)
def _no_gateway(exc: NoEligibleGateway) -> Response:
    return Response(status_code=422, content_type="application/json",
                    body={"statusCode": 422, "message": str(exc), "reasons": exc.reasons})


@app.post("/route")
def route(request: RouteRequest) -> RouteResponse:
    ctx = RouteContext(merchant_id=merchant_id(app), amount=request.amount, currency=request.currency,
                       method=request.payment_method, country=request.country,
                       merchant_category=request.merchant_category, risk_score=request.risk_score,
                       hour=datetime.now(UTC).hour)
    decision = service().decide(ctx, frozenset(request.excluded_gateways))
    return RouteResponse(gateway=decision.gateway, fallbacks=list(decision.fallbacks),
                         propensity=decision.propensity, policy_version=decision.policy_version,
                         explanation=decision.explanation, mode=decision.mode,
                         probabilities=dict(zip(decision.candidates, decision.pmf, strict=True)))


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
