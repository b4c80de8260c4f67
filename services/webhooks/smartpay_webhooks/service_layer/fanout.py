"""The event consumer's use case: one payment outcome -> one delivery per subscribed endpoint of its
merchant, recorded, then handed to `first_attempt` (the consumer's bounded, short-timeout first attempt:
service_layer/first_attempts.py) or, without one and for an endpoint marked failing, queued on the
delivery queue for the deliverer. The delivery is written before anything is sent: a crash before the
attempt is recorded leaves it pending with no attempt, and the redelivered event dispatches it again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from smartpay_webhooks.domain import events
from smartpay_webhooks.domain.model import Delivery, DeliveryStatus, Endpoint, EndpointStatus, delivery_id
from smartpay_webhooks.service_layer.ports import DeliveryQueue, DeliveryRepository, DeliveryTask, EndpointRepository

FirstAttempt = Callable[[DeliveryTask, Delivery, Endpoint], None]


def fan_out(event_type: str, event_id: str, occurred_at: datetime, data: dict[str, Any], *,
            endpoints: EndpointRepository, deliveries: DeliveryRepository, queue: DeliveryQueue,
            now: datetime, first_attempt: FirstAttempt | None = None) -> int:
    """Deliveries dispatched for this event. A redelivered event dispatches again only deliveries never
    attempted."""
    if event_type not in events.OUTCOME_EVENT_TYPES:
        raise ValueError(f"{event_type} is not a payment outcome this service forwards")
    merchant_id = data["merchant_id"]
    body = events.message_body(event_type, occurred_at, data)
    queued = 0
    for endpoint in endpoints.list(merchant_id):
        if endpoint.status == EndpointStatus.DISABLED or not endpoint.subscribes(event_type):
            continue
        delivery = Delivery(endpoint.endpoint_id, delivery_id(occurred_at, event_id, endpoint.endpoint_id),
                            merchant_id, event_id, event_type, body, now, next_attempt_at=now)
        if not deliveries.create(delivery):
            existing = deliveries.get(endpoint.endpoint_id, delivery.delivery_id)
            if existing is None or existing.status != DeliveryStatus.PENDING or existing.attempt_count:
                continue
            delivery = existing
        task = DeliveryTask(merchant_id, endpoint.endpoint_id, delivery.delivery_id, 0, now)
        if first_attempt is not None and endpoint.status == EndpointStatus.ENABLED:
            first_attempt(task, delivery, endpoint)
        else:
            queue.enqueue(task, 0)
        queued += 1
    return queued
