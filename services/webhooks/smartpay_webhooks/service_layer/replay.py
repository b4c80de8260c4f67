"""Resend: one delivery, or every delivery of an endpoint since a time. The same webhook-id and body (the
merchant deduplicates), a fresh retry cycle, queued now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smartpay_webhooks.domain.errors import DeliveryNotFound, EndpointNotFound
from smartpay_webhooks.domain.model import Delivery, delivery_id_floor
from smartpay_webhooks.service_layer.ports import (
    Clock,
    DeliveryQueue,
    DeliveryRepository,
    DeliveryTask,
    EndpointRepository,
)


@dataclass
class Replay:
    endpoints: EndpointRepository
    deliveries: DeliveryRepository
    queue: DeliveryQueue
    clock: Clock
    max_resend: int

    def list(self, merchant_id: str, endpoint_id: str, *, limit: int = 50, before: str | None = None) -> list[Delivery]:
        self._endpoint(merchant_id, endpoint_id)
        return self.deliveries.list(endpoint_id, newest_first=True, before_id=before, limit=limit)

    def get(self, merchant_id: str, endpoint_id: str, delivery_id: str) -> Delivery:
        self._endpoint(merchant_id, endpoint_id)
        delivery = self.deliveries.get(endpoint_id, delivery_id)
        if delivery is None or delivery.merchant_id != merchant_id:
            raise DeliveryNotFound(delivery_id)
        return delivery

    def resend(self, merchant_id: str, endpoint_id: str, delivery_id: str) -> Delivery:
        return self._resend(self.get(merchant_id, endpoint_id, delivery_id))

    def resend_since(self, merchant_id: str, endpoint_id: str, since: datetime) -> list[Delivery]:
        """Up to max_resend deliveries created at or after `since`, oldest first."""
        self._endpoint(merchant_id, endpoint_id)
        found = self.deliveries.list(endpoint_id, newest_first=False, after_id=delivery_id_floor(since),
                                     limit=self.max_resend)
        return [self._resend(d) for d in found if d.merchant_id == merchant_id]

    def _resend(self, delivery: Delivery) -> Delivery:
        now = self.clock.now()
        again = delivery.resent(now)
        self.queue.enqueue(DeliveryTask(again.merchant_id, again.endpoint_id, again.delivery_id,
                                        again.attempt_count, now), 0)
        self.deliveries.save(again, expected_attempt_count=delivery.attempt_count)
        return again

    def _endpoint(self, merchant_id: str, endpoint_id: str) -> None:
        if self.endpoints.get(merchant_id, endpoint_id) is None:
            raise EndpointNotFound(endpoint_id)
