"""The one catalog of event types: name, schema version and payload model of each."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from smartpay_shared.events import payloads as p


@dataclass(frozen=True)
class EventSpec:
    event_type: str
    schema_version: str
    model: type[BaseModel]
    description: str

    @property
    def major(self) -> int:
        return int(self.schema_version.split(".")[0])


_SPECS = (
    EventSpec("payment.requested", "1.1", p.PaymentRequested, "A merchant asked to take a payment."),
    EventSpec("fraud.assessed", "1.1", p.FraudAssessed, "Fraud scored a payment and decided."),
    EventSpec("route.requested", "1.1", p.RouteRequested, "Payment asks for a (fallback) gateway."),
    EventSpec("route.selected", "1.0", p.RouteSelected, "Routing chose a gateway and fallbacks."),
    EventSpec("route.unavailable", "1.0", p.RouteUnavailable, "Routing found no gateway for a payment."),
    EventSpec("payment.authorized", "1.0", p.PaymentAuthorized, "A gateway authorized the amount."),
    EventSpec("payment.captured", "1.1", p.PaymentCaptured, "A gateway captured the amount."),
    EventSpec("payment.failed", "1.0", p.PaymentFailed, "A gateway attempt or the saga failed."),
    EventSpec("payment.declined", "1.0", p.PaymentDeclined, "Fraud or the gateway declined."),
    EventSpec("payment.refunded", "1.0", p.PaymentRefunded, "An amount was refunded."),
    EventSpec("payment.completed", "1.0", p.PaymentCompleted, "The saga reached a terminal state."),
    EventSpec("payment.indexed", "1.0", p.PaymentIndexed, "The payment document was indexed."),
    EventSpec("payment.disputed", "1.0", p.PaymentDisputed, "A chargeback on a captured payment became known."),
    EventSpec("fraud.reported", "1.0", p.FraudReported, "A merchant reported a payment as fraud."),
)

CATALOG: dict[str, EventSpec] = {spec.event_type: spec for spec in _SPECS}
_BY_MODEL: dict[type[BaseModel], EventSpec] = {spec.model: spec for spec in _SPECS}


class UnknownEventType(KeyError):
    pass


def spec_for(event_type: str) -> EventSpec:
    try:
        return CATALOG[event_type]
    except KeyError as e:
        raise UnknownEventType(f"event type {event_type!r} is not in the catalog") from e


def spec_for_model(model: type[BaseModel]) -> EventSpec:
    try:
        return _BY_MODEL[model]
    except KeyError as e:
        raise UnknownEventType(f"{model.__name__} is not a catalog payload") from e
