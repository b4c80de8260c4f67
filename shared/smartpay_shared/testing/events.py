"""Build the EventBridge event an SQS message body carries, from an envelope."""

from __future__ import annotations

import uuid
from typing import Any

from smartpay_shared.events.envelope import Envelope


def to_bus_event(envelope: Envelope, **overrides: Any) -> dict[str, Any]:
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": envelope.event_type,
        "source": "smartpay." + envelope.metadata.producer.service,
        "account": "123456789012",
        "time": envelope.metadata.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": envelope.to_detail(),
    }
    event.update(overrides)
    return event
