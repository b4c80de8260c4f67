"""What a merchant can subscribe to, and the body a delivery carries.

OUTCOME_EVENT_TYPES is the one list of payment events this service forwards: the manifest's subscriptions
must equal it (tests/unit/test_events.py checks): a new outcome goes here and in
services/webhooks/manifest.json."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

OUTCOME_EVENT_TYPES: tuple[str, ...] = (
    "payment.captured",
    "payment.declined",
    "payment.failed",
    "payment.refunded",
    "payment.disputed",
)
TEST_EVENT_TYPE = "webhook.test"  # sent by POST /webhook-endpoints/{id}/test, whatever the endpoint subscribes to


def message_body(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> str:
    """The JSON body every delivery of one event carries, byte for byte (the signature covers it)."""
    return json.dumps({"type": event_type, "timestamp": occurred_at.isoformat(), "data": data},
                      separators=(",", ":"), sort_keys=True)
