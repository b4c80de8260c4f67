"""The event contract: envelope, catalog of event types, parsing of bus events."""

from smartpay_shared.events.catalog import CATALOG, EventSpec, spec_for
from smartpay_shared.events.envelope import Envelope, Metadata, Producer, new_envelope
from smartpay_shared.events.parsing import InvalidEvent, parse_bus_event, parse_sqs_body

__all__ = [
    "CATALOG",
    "Envelope",
    "EventSpec",
    "InvalidEvent",
    "Metadata",
    "Producer",
    "new_envelope",
    "parse_bus_event",
    "parse_sqs_body",
    "spec_for",
]
