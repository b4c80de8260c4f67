"""Reading a test queue empty."""

from __future__ import annotations

import json
from typing import Any


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message body in the queue, deleted as read: moto delivers during put_events, so one empty
    long poll ends it."""
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages"):
        for m in messages:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies
