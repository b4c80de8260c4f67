"""Dead-letter queues: look at what failed, and put it back on the service queue once fixed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    receive_count: int
    event_type: str
    correlation_id: str
    event_id: str
    body: str


def _describe(message: dict) -> DeadLetter:
    event_type = correlation_id = event_id = ""
    try:
        event = json.loads(message["Body"])
        event_type = str(event.get("detail-type", ""))
        meta = (event.get("detail") or {}).get("metadata") or {}
        correlation_id, event_id = str(meta.get("correlation_id", "")), str(meta.get("event_id", ""))
    except (json.JSONDecodeError, AttributeError, TypeError):
        pass  # a malformed body is exactly what a DLQ holds: show it as it is
    count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 0))
    return DeadLetter(message["MessageId"], count, event_type, correlation_id, event_id, message["Body"])


def peek(sqs: Any, dlq_url: str, limit: int = 10) -> list[DeadLetter]:
    """Read without consuming (visibility 0: the messages stay where they are)."""
    seen: dict[str, DeadLetter] = {}
    for _ in range(max(1, limit // 10 + 1)):
        response = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=min(10, limit), WaitTimeSeconds=1,
                                       VisibilityTimeout=0, MessageSystemAttributeNames=["All"])
        for message in response.get("Messages", []):
            seen.setdefault(message["MessageId"], _describe(message))
        if len(seen) >= limit or not response.get("Messages"):
            break
    return list(seen.values())[:limit]


def redrive(sqs: Any, dlq_url: str, queue_url: str, limit: int | None = None) -> int:
    """Move messages back to the service queue: send first, then delete, so none is lost (a crash in
    between duplicates one, which idempotent handlers shrug off)."""
    moved = 0
    while limit is None or moved < limit:
        response = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                       VisibilityTimeout=30, MessageAttributeNames=["All"])
        messages = response.get("Messages", [])
        if not messages:
            break
        for message in messages[: None if limit is None else limit - moved]:
            attrs = message.get("MessageAttributes") or {}
            sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"],
                             **({"MessageAttributes": attrs} if attrs else {}))
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return moved
