"""The event consumer's use case: one payment outcome -> one delivery per subscribed endpoint of its
merchant, written to the delivery log and handed to `first_attempt` (the consumer's bounded, short-timeout
first attempt: service_layer/first_attempts.py) or, without one and for an endpoint marked failing, queued
on the delivery queue for the deliverer.

The first attempt starts while the delivery is being written (the write is off the path from the outcome
to the merchant); the attempt waits for the write before it records anything. A redelivered event finds
its deliveries written: one never attempted is dispatched again, one attempted already is not queued
again (its first attempt, already under way, is then a duplicate the merchant drops, and is not recorded).
A crash before an attempt is recorded leaves the delivery pending with no attempt: the redelivered event
dispatches it again."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from smartpay_webhooks.domain import events
from smartpay_webhooks.domain.model import Delivery, DeliveryStatus, Endpoint, EndpointStatus, delivery_id
from smartpay_webhooks.service_layer.ports import DeliveryQueue, DeliveryRepository, DeliveryTask, EndpointLists

# (task, delivery, endpoint, stored) -> started: `stored()` waits for the write and returns the delivery as
# stored, or None if it was attempted before (a redelivered event). Not started: queued once written.
FirstAttempt = Callable[[DeliveryTask, Delivery, Endpoint, Callable[[], Delivery | None]], bool]


def fan_out(event_type: str, event_id: str, occurred_at: datetime, data: dict[str, Any], *,
            endpoints: EndpointLists, deliveries: DeliveryRepository, queue: DeliveryQueue,
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
        task = DeliveryTask(merchant_id, endpoint.endpoint_id, delivery.delivery_id, 0, now)
        stored: Future = Future()
        inline = (first_attempt is not None and endpoint.status == EndpointStatus.ENABLED
                  and first_attempt(task, delivery, endpoint, stored.result))
        try:
            written = _store(delivery, deliveries)
        except BaseException as exc:
            stored.set_exception(exc)
            raise
        stored.set_result(written)
        if written is None:
            continue
        if not inline:
            queue.enqueue(task, 0)
        queued += 1
    return queued


def _store(delivery: Delivery, deliveries: DeliveryRepository) -> Delivery | None:
    """The delivery as written (new, or there and never attempted); None if it was attempted already."""
    if deliveries.create(delivery):
        return delivery
    existing = deliveries.get(delivery.endpoint_id, delivery.delivery_id)
    if existing is None or existing.status != DeliveryStatus.PENDING or existing.attempt_count:
        return None
    return existing
