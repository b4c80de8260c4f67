"""A temporary tap on the bus: a rule with a pattern into a private queue, removed on exit.
Used by `smartpay events tail` and by replays to a debug target."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any


class BusTap:
    def __init__(self, events: Any, sqs: Any, bus_name: str, pattern: dict, name: str | None = None):
        self._events, self._sqs, self._bus, self._pattern = events, sqs, bus_name, pattern
        self.name = name or f"smartpay-tap-{uuid.uuid4().hex[:10]}"
        self.queue_url = ""
        self.rule_arn = ""
        self.keep_queue = False

    def __enter__(self) -> BusTap:
        self.queue_url = self._sqs.create_queue(QueueName=self.name)["QueueUrl"]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.rule_arn = self._events.put_rule(
            Name=self.name, EventBusName=self._bus, EventPattern=json.dumps(self._pattern),
            Description="temporary tap (smartpay events)")["RuleArn"]
        self._sqs.set_queue_attributes(QueueUrl=self.queue_url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                           "Action": "sqs:SendMessage", "Resource": queue_arn,
                           "Condition": {"ArnEquals": {"aws:SourceArn": self.rule_arn}}}]})})
        self._events.put_targets(Rule=self.name, EventBusName=self._bus, Targets=[{"Id": "tap", "Arn": queue_arn}])
        return self

    def __exit__(self, *_: object) -> None:
        self._events.remove_targets(Rule=self.name, EventBusName=self._bus, Ids=["tap"])
        self._events.delete_rule(Name=self.name, EventBusName=self._bus)
        if not self.keep_queue:
            self._sqs.delete_queue(QueueUrl=self.queue_url)

    def receive(self, wait_seconds: int = 1) -> Iterator[dict]:
        """Yield events until one long poll comes back empty; each is deleted once yielded."""
        while True:
            response = self._sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds)
            messages = response.get("Messages", [])
            if not messages:
                return
            for message in messages:
                yield json.loads(message["Body"])
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
