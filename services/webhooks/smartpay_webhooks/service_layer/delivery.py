"""The deliverer's use case: one attempt of one delivery, then its next step (done, retry later through
the queue, or failed for good and the endpoint marked failing). An attempt over the endpoint's caps
(domain/caps.py) is not made: the task goes back on the queue for later, its attempt number unchanged.

Two callers: the deliverer (`handle`: a task from the delivery queue) and the event consumer (`first_attempt`:
the delivery it has just created, without a queue hop; service_layer/first_attempts.py).

At least once: the next attempt is queued before the attempt is recorded, so a crash in between repeats
an attempt rather than losing one; the merchant deduplicates on `webhook-id` (the event id)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from smartpay_webhooks.domain import signing
from smartpay_webhooks.domain.backoff import RetrySchedule
from smartpay_webhooks.domain.caps import deferral_seconds
from smartpay_webhooks.domain.model import (
    RESPONSE_BODY_LIMIT,
    Attempt,
    Delivery,
    DeliveryStatus,
    Endpoint,
    EndpointStatus,
)
from smartpay_webhooks.service_layer.endpoints import secret_context
from smartpay_webhooks.service_layer.ports import (
    Clock,
    DeliveryQueue,
    DeliveryRepository,
    DeliveryTask,
    EndpointGate,
    EndpointRepository,
    SecretBox,
    Sender,
)

MAX_QUEUE_DELAY_SECONDS = 900  # SQS DelaySeconds' maximum: longer waits are re-enqueued until due
EARLY_TOLERANCE_SECONDS = 1.0


@dataclass
class Deliverer:
    endpoints: EndpointRepository
    deliveries: DeliveryRepository
    box: SecretBox
    queue: DeliveryQueue
    sender: Sender
    clock: Clock
    schedule: RetrySchedule
    rng: random.Random | None = None
    gate: EndpointGate | None = None  # None: no caps

    def handle(self, task: DeliveryTask) -> str:
        """What happened: deferred, stale, throttled, succeeded, retrying, failed."""
        now = self.clock.now()
        remaining = (task.not_before - now).total_seconds()
        if remaining > EARLY_TOLERANCE_SECONDS:
            self.queue.enqueue(task, min(MAX_QUEUE_DELAY_SECONDS, remaining))
            return "deferred"
        delivery = self.deliveries.get(task.endpoint_id, task.delivery_id)
        if (delivery is None or delivery.merchant_id != task.merchant_id
                or delivery.status != DeliveryStatus.PENDING or delivery.attempt_count != task.attempt):
            return "stale"
        endpoint = self.endpoints.get(task.merchant_id, task.endpoint_id)
        if endpoint is None or endpoint.status == EndpointStatus.DISABLED:
            why = "endpoint deleted" if endpoint is None else "endpoint disabled"
            self._record(delivery, Attempt(now, None, 0.0, error=f"{why}: not sent"), DeliveryStatus.FAILED, None)
            return "failed"
        return self._attempt(task, delivery, endpoint, now, None)

    def first_attempt(self, task: DeliveryTask, delivery: Delivery, endpoint: Endpoint,
                      timeout_seconds: float | None = None,
                      stored: Callable[[], Delivery | None] | None = None,
                      sending: Callable[[], None] | None = None) -> str:
        """Attempt a delivery its caller is writing (no read): throttled, succeeded, retrying, failed, or
        duplicate. `stored` waits for the write and gives the delivery as stored (None: attempted before):
        nothing is queued or recorded before it answers. `sending` is called as the request goes out."""
        return self._attempt(task, delivery, endpoint, self.clock.now(), timeout_seconds, stored, sending)

    def _attempt(self, task: DeliveryTask, delivery: Delivery, endpoint: Endpoint, now: datetime,
                 timeout_seconds: float | None, stored: Callable[[], Delivery | None] | None = None,
                 sending: Callable[[], None] | None = None) -> str:
        admission = self.gate.admit(endpoint.endpoint_id) if self.gate else None
        if admission is not None and not admission.admitted:
            if stored is not None and stored() is None:
                return "duplicate"
            wait = deferral_seconds(admission, self.rng)
            self.queue.enqueue(replace(task, not_before=now + timedelta(seconds=wait)), wait)
            return "throttled"
        try:
            secrets = [self.box.open(s.ciphertext, secret_context(endpoint.merchant_id, endpoint.endpoint_id))
                       for s in endpoint.active_secrets(now)]
            headers = signing.headers(secrets, delivery.event_id, int(now.timestamp()), delivery.body)
            headers["content-type"] = "application/json"
            if sending is not None:
                sending()
            result = self.sender.send(endpoint.url, headers, delivery.body, timeout_seconds)
        finally:
            if admission is not None:
                self.gate.release(endpoint.endpoint_id, admission.token)
        if stored is not None:
            written = stored()
            if written is None:
                return "duplicate"  # a redelivered event's: the attempt made before stands
            delivery = written
        attempt = Attempt(now, result.status_code, round(result.latency_ms, 1),
                          result.body[:RESPONSE_BODY_LIMIT], result.error)
        if attempt.succeeded:
            self._record(delivery, attempt, DeliveryStatus.SUCCEEDED, None)
            if endpoint.status == EndpointStatus.FAILING:
                self.endpoints.save(replace(endpoint, status=EndpointStatus.ENABLED, updated_at=now))
            return "succeeded"
        delay = self.schedule.next_delay(delivery.attempts_this_cycle + 1, self.rng)
        if delay is None:
            self._record(delivery, attempt, DeliveryStatus.FAILED, None)
            self.endpoints.save(replace(endpoint, status=EndpointStatus.FAILING, updated_at=now))
            return "failed"
        due = now + timedelta(seconds=delay)
        self.queue.enqueue(replace(task, attempt=delivery.attempt_count + 1, not_before=due),
                           min(MAX_QUEUE_DELAY_SECONDS, delay))
        self._record(delivery, attempt, DeliveryStatus.PENDING, due)
        return "retrying"

    def _record(self, delivery: Delivery, attempt: Attempt, status: DeliveryStatus, due) -> None:
        self.deliveries.save(delivery.recorded(attempt, status, due), expected_attempt_count=delivery.attempt_count)
