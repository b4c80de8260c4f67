"""The test-only event listener (aws-samples/serverless-test-samples): a catch-all rule on the bus
into a test queue, long-polled until the expected events arrive or a deadline passes."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any


class EventListener:
    def __init__(self, events_client: Any, sqs_client: Any, bus_name: str, pattern: dict | None = None):
        self._events = events_client
        self._sqs = sqs_client
        self._bus = bus_name
        self._pattern = pattern or {"source": [{"prefix": ""}]}
        self.name = f"test-listener-{uuid.uuid4().hex[:8]}"
        self.queue_url = ""
        self.seen: list[dict] = []

    def __enter__(self) -> EventListener:
        self.queue_url = self._sqs.create_queue(QueueName=self.name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self._events.put_rule(Name=self.name, EventBusName=self._bus, EventPattern=json.dumps(self._pattern))
        self._events.put_targets(Rule=self.name, EventBusName=self._bus, Targets=[{"Id": "q", "Arn": arn}])
        return self

    def __exit__(self, *_: object) -> None:
        self._events.remove_targets(Rule=self.name, EventBusName=self._bus, Ids=["q"])
        self._events.delete_rule(Name=self.name, EventBusName=self._bus)
        self._sqs.delete_queue(QueueUrl=self.queue_url)

    def wait_for(self, predicate: Callable[[list[dict]], bool], timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while not predicate(self.seen):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"expected events did not arrive in {timeout}s; saw {len(self.seen)}")
            response = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=max(1, min(5, int(remaining))))
            for message in response.get("Messages", []):
                self.seen.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return self.seen
