"""What every service's API Lambda shares: a validating resolver, the caller's merchant from the
verified token claims, and one JSON error shape."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError, UnauthorizedError

MERCHANT_CLAIM = "custom:merchant_id"
GROUPS_CLAIM = "cognito:groups"
ADMIN_GROUP = "admin"


class NotImplementedYet(ServiceError):
    """A loud placeholder: the route exists in the contract but its service has not shipped it."""

    def __init__(self, what: str, issue: str):
        super().__init__(501, f"{what} is not implemented yet ({issue})")


def build_resolver(title: str, version: str) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

    @app.exception_handler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        return Response(
            status_code=exc.status_code,
            content_type="application/json",
            body={"statusCode": exc.status_code, "message": exc.msg},
        )

    return app


def claims(app: APIGatewayRestResolver) -> dict[str, Any]:
    """Claims the gateway verified (API Gateway's Cognito authorizer puts them in the same place)."""
    authorizer = app.current_event.request_context.authorizer
    raw = (authorizer.raw_event if authorizer else {}) or {}
    found = raw.get("claims")
    if not isinstance(found, dict):
        raise UnauthorizedError("no verified token claims on the request")
    return found


def merchant_id(app: APIGatewayRestResolver) -> str:
    """The caller's merchant: only ever from the verified token, never from the body."""
    merchant = claims(app).get(MERCHANT_CLAIM)
    if not merchant:
        raise UnauthorizedError(f"token has no {MERCHANT_CLAIM} claim")
    return str(merchant)


def is_admin(app: APIGatewayRestResolver) -> bool:
    groups = claims(app).get(GROUPS_CLAIM) or []
    if isinstance(groups, str):  # API Gateway flattens list claims to a string
        groups = groups.strip("[]").replace(",", " ").split()
    return ADMIN_GROUP in groups
