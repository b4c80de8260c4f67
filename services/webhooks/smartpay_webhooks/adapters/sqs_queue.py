"""The delivery queue (SQS): one message per attempt to make, DelaySeconds up to 900."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from smartpay_webhooks.service_layer.ports import DeliveryTask

MAX_DELAY_SECONDS = 900


def task_body(task: DeliveryTask) -> str:
    return json.dumps({"merchant_id": task.merchant_id, "endpoint_id": task.endpoint_id,
                       "delivery_id": task.delivery_id, "attempt": task.attempt,
                       "not_before": task.not_before.isoformat()})


def task_from(body: str) -> DeliveryTask:
    raw = json.loads(body)
    return DeliveryTask(str(raw["merchant_id"]), str(raw["endpoint_id"]), str(raw["delivery_id"]),
                        int(raw["attempt"]), datetime.fromisoformat(raw["not_before"]))


class SqsDeliveryQueue:
    def __init__(self, client: Any, queue_name: str):
        self.client, self.queue_name = client, queue_name
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = self.client.get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        return self._url

    def enqueue(self, task: DeliveryTask, delay_seconds: float) -> None:
        delay = max(0, min(MAX_DELAY_SECONDS, int(round(delay_seconds))))
        self.client.send_message(QueueUrl=self.url, MessageBody=task_body(task), DelaySeconds=delay)

    def receive(self, max_messages: int = 10, wait_seconds: int = 1) -> list[dict[str, Any]]:
        found = self.client.receive_message(QueueUrl=self.url, MaxNumberOfMessages=max_messages,
                                            WaitTimeSeconds=wait_seconds)
        return found.get("Messages", [])

    def dead_letter_queue(self) -> SqsDeliveryQueue:
        """This queue's DLQ, as its redrive policy names it."""
        attrs = self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=["RedrivePolicy"])["Attributes"]
        arn = json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"]
        return SqsDeliveryQueue(self.client, arn.rsplit(":", 1)[1])

    def delete(self, receipt_handle: str) -> None:
        self.client.delete_message(QueueUrl=self.url, ReceiptHandle=receipt_handle)
