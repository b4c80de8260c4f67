"""API Lambda of the rewards service: a customer's points (balance, debt, history) and active offers. The
merchant is the verified token's (smartpay_shared.api.merchant_id); a customer without ledger entries at
this merchant, another merchant's customer included, is a 404."""

from datetime import UTC, datetime
from importlib.metadata import version
from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from smartpay_shared.api import build_resolver, merchant_id
from smartpay_shared.text import NO_CONTROL

from smartpay_rewards import bootstrap
from smartpay_rewards.domain.errors import AccountNotFound
from smartpay_rewards.entrypoints.views import statement_view
from smartpay_rewards.service_layer import ledger

logger = Logger(service="rewards")
app = build_resolver("SmartPay rewards", version("smartpay-rewards"))

CustomerIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_CONTROL)]


@app.exception_handler(AccountNotFound)
def _not_found(exc: AccountNotFound) -> Response:
    raise NotFoundError(f"no rewards for customer {exc}")


@app.get("/rewards/<customer_id>")
def get_rewards(customer_id: CustomerIdPath,
                limit: Annotated[int, Query(ge=1, le=100)] = 20,
                before: Annotated[int | None, Query(ge=2, le=2**53 - 1)] = None):
    rewards = bootstrap.service()
    found = ledger.statement(merchant_id(app), customer_id, rewards.uow, rewards.offer_policy, limit=limit,
                             before_seq=before, now=datetime.now(UTC))
    return statement_view(found)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
