"""The delivery DLQ re-sweep: a delivery task lands in the delivery queue's DLQ when the deliverer itself
failed on it `max_receive_count` times (DynamoDB, KMS or Redis errors, a crash: not the merchant's
endpoint, whose failures are retries on the schedule). Its delivery then stays `pending` with nothing
left to attempt it. Once the cause is fixed, `smartpay webhooks resweep-dlq` puts every such delivery
back on the delivery queue (due now, at the attempt it was waiting for) and drops the dead letters whose
delivery moved on meanwhile (attempted since, succeeded, failed for good, or deleted). A dead letter that
is not a delivery task stays in the DLQ for a human. Each letter is deleted only after its task is back
on the queue: a crash in between duplicates a task, which the deliverer answers `stale`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from smartpay_webhooks.domain.model import DeliveryStatus
from smartpay_webhooks.service_layer.ports import Clock, DeliveryQueue, DeliveryRepository, DeliveryTask


class DeadLetters(Protocol):
    def receive(self, max_messages: int = 10, wait_seconds: int = 1) -> list[dict[str, Any]]: ...
    def delete(self, receipt_handle: str) -> None: ...


@dataclass
class DeadLetterSweep:
    letters: DeadLetters
    deliveries: DeliveryRepository
    queue: DeliveryQueue
    clock: Clock
    parse: Any  # body -> DeliveryTask (adapters.sqs_queue.task_from); raises on anything else

    def run(self, limit: int | None = None) -> dict[str, int]:
        """Counts: requeued, dropped (the delivery moved on), kept (not a delivery task)."""
        counts = {"requeued": 0, "dropped": 0, "kept": 0}
        while limit is None or sum(counts.values()) < limit:
            messages = self.letters.receive(max_messages=10, wait_seconds=1)
            if not messages:
                break
            for message in messages[: None if limit is None else limit - sum(counts.values())]:
                outcome = self._one(message["Body"])
                if outcome != "kept":
                    self.letters.delete(message["ReceiptHandle"])
                counts[outcome] += 1
        return counts

    def _one(self, body: str) -> str:
        try:
            task: DeliveryTask = self.parse(body)
        except (ValueError, KeyError, TypeError):
            return "kept"
        delivery = self.deliveries.get(task.endpoint_id, task.delivery_id)
        if (delivery is None or delivery.merchant_id != task.merchant_id
                or delivery.status != DeliveryStatus.PENDING or delivery.attempt_count != task.attempt):
            return "dropped"
        self.queue.enqueue(replace(task, not_before=self.clock.now()), 0)
        return "requeued"
