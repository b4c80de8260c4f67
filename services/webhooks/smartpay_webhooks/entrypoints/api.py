"""API Lambda of the webhooks service: a merchant's webhook endpoints and their delivery log. The
merchant is the verified token's (smartpay_shared.api.merchant_id), never a body field; another
merchant's endpoint is a 404. The signing secret is in the create and rotate answers only."""

from datetime import datetime
from importlib.metadata import version
from typing import Annotated, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool

from smartpay_shared.api import build_resolver, merchant_id
from smartpay_shared.text import Text

from smartpay_webhooks import bootstrap
from smartpay_webhooks.domain.errors import DeliveryNotFound, EndpointNotFound, InvalidEndpoint, TooManyEndpoints
from smartpay_webhooks.domain.events import OUTCOME_EVENT_TYPES
from smartpay_webhooks.domain.model import Delivery, Endpoint
from smartpay_webhooks.domain.url_safety import MAX_URL_LENGTH

logger = Logger(service="webhooks")
app = build_resolver("SmartPay webhooks", version("smartpay-webhooks"))

EndpointIdPath = Annotated[str, Path(pattern=r"^we_[a-f0-9]{24}$")]
DeliveryIdPath = Annotated[str, Path(pattern=r"^dlv_[0-9a-f]{12}_[0-9a-f]{16}$")]
EventType = Literal[OUTCOME_EVENT_TYPES]  # type: ignore[valid-type]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(OUTCOME_EVENT_TYPES))]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Text(MAX_URL_LENGTH, min_length=8)
    event_types: EventTypes
    description: Text(256) = ""


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Text(MAX_URL_LENGTH, min_length=8) | None = None
    event_types: EventTypes | None = None
    description: Text(256) | None = None
    enabled: StrictBool | None = None


class ResendSince(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: AwareDatetime


def endpoint_view(e: Endpoint) -> dict:
    return {"endpoint_id": e.endpoint_id, "url": e.url, "event_types": list(e.event_types),
            "description": e.description, "status": e.status.value, "created_at": e.created_at.isoformat(),
            "updated_at": e.updated_at.isoformat(), "secrets_active": len(e.active_secrets(datetime.now(e.created_at.tzinfo)))}


def delivery_view(d: Delivery) -> dict:
    return {"delivery_id": d.delivery_id, "endpoint_id": d.endpoint_id, "event_id": d.event_id,
            "event_type": d.event_type, "status": d.status.value, "created_at": d.created_at.isoformat(),
            "attempt_count": d.attempt_count,
            "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at else None,
            "attempts": [{"at": a.at.isoformat(), "status_code": a.status_code, "latency_ms": a.latency_ms,
                          "response_body": a.response_body, "error": a.error} for a in d.attempts]}


def _json(status_code: int, body: dict) -> Response:
    return Response(status_code=status_code, content_type="application/json", body=body)


@app.exception_handler(EndpointNotFound)
def _endpoint_not_found(exc: EndpointNotFound) -> Response:
    raise NotFoundError(f"webhook endpoint {exc} not found")


@app.exception_handler(DeliveryNotFound)
def _delivery_not_found(exc: DeliveryNotFound) -> Response:
    raise NotFoundError(f"delivery {exc} not found")


@app.exception_handler(InvalidEndpoint)
def _invalid(exc: InvalidEndpoint) -> Response:
    # The house shape for a field refusal: smartpay_shared.problems turns it into a 422 validation problem
    # with one `errors` entry (loc, pointer, detail).
    return _json(422, {"statusCode": 422, "message": exc.reason, "field": exc.field})


@app.exception_handler(TooManyEndpoints)
def _too_many(exc: TooManyEndpoints) -> Response:
    return _json(409, {"statusCode": 409, "message": str(exc)})


@app.post("/webhook-endpoints", status_code=201)
def create_endpoint(request: EndpointCreate):
    endpoint, secret = bootstrap.service().endpoints.create(merchant_id(app), request.url, list(request.event_types),
                                                            request.description)
    return _json(201, {**endpoint_view(endpoint), "secret": secret})


@app.get("/webhook-endpoints")
def list_endpoints(status: Annotated[Literal["enabled", "disabled", "failing"] | None, Query()] = None):
    found = bootstrap.service().endpoints.list(merchant_id(app))
    return {"endpoints": [endpoint_view(e) for e in found if status is None or e.status.value == status]}


@app.get("/webhook-endpoints/<endpoint_id>")
def get_endpoint(endpoint_id: EndpointIdPath):
    return endpoint_view(bootstrap.service().endpoints.get(merchant_id(app), endpoint_id))


@app.patch("/webhook-endpoints/<endpoint_id>")
def update_endpoint(endpoint_id: EndpointIdPath, request: EndpointUpdate):
    changes = request.model_dump(exclude_none=True)
    return endpoint_view(bootstrap.service().endpoints.update(merchant_id(app), endpoint_id, **changes))


@app.post("/webhook-endpoints/<endpoint_id>/disable")
def disable_endpoint(endpoint_id: EndpointIdPath):
    return endpoint_view(bootstrap.service().endpoints.disable(merchant_id(app), endpoint_id))


@app.delete("/webhook-endpoints/<endpoint_id>")
def delete_endpoint(endpoint_id: EndpointIdPath):
    bootstrap.service().endpoints.delete(merchant_id(app), endpoint_id)
    return Response(status_code=204)


@app.post("/webhook-endpoints/<endpoint_id>/rotate-secret")
def rotate_secret(endpoint_id: EndpointIdPath):
    endpoint, secret = bootstrap.service().endpoints.rotate_secret(merchant_id(app), endpoint_id)
    return {**endpoint_view(endpoint), "secret": secret}


@app.post("/webhook-endpoints/<endpoint_id>/test")
def send_test(endpoint_id: EndpointIdPath):
    return _json(202, delivery_view(bootstrap.service().endpoints.send_test(merchant_id(app), endpoint_id)))


@app.get("/webhook-endpoints/<endpoint_id>/deliveries")
def list_deliveries(endpoint_id: EndpointIdPath,
                    limit: Annotated[int, Query(ge=1, le=100)] = 50,
                    before: Annotated[str | None, Query(pattern=r"^dlv_[0-9a-f]{12}_[0-9a-f]{16}$")] = None):
    found = bootstrap.service().replay.list(merchant_id(app), endpoint_id, limit=limit, before=before)
    return {"deliveries": [delivery_view(d) for d in found],
            "next_before": found[-1].delivery_id if len(found) == limit else None}


@app.post("/webhook-endpoints/<endpoint_id>/deliveries/<delivery_id>/resend")
def resend(endpoint_id: EndpointIdPath, delivery_id: DeliveryIdPath):
    return _json(202, delivery_view(bootstrap.service().replay.resend(merchant_id(app), endpoint_id, delivery_id)))


@app.post("/webhook-endpoints/<endpoint_id>/resend")
def resend_since(endpoint_id: EndpointIdPath, request: ResendSince):
    found = bootstrap.service().replay.resend_since(merchant_id(app), endpoint_id, request.since)
    return _json(202, {"resent": len(found), "delivery_ids": [d.delivery_id for d in found]})


@logger.inject_lambda_context
def lambda_handler(event, context):
    return app.resolve(event, context)
