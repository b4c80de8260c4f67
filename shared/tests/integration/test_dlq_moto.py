"""Dead-letter inspection and redrive against a real moto server."""

import json

from smartpay_shared.ops import dlq
from smartpay_shared.testing import to_bus_event


def test_peek_leaves_messages_and_redrive_moves_them_back(aws, envelope):
    sqs = aws("sqs")
    dead = sqs.create_queue(QueueName="svc-dlq")["QueueUrl"]
    live = sqs.create_queue(QueueName="svc")["QueueUrl"]
    good = envelope("pay_DEAD00001")
    sqs.send_message(QueueUrl=dead, MessageBody=json.dumps(to_bus_event(good), default=str))
    sqs.send_message(QueueUrl=dead, MessageBody="{not json")

    letters = dlq.peek(sqs, dead)
    assert sorted(letter.correlation_id for letter in letters) == ["", "pay_DEAD00001"]
    assert len(dlq.peek(sqs, dead)) == 2  # peeking consumed nothing

    assert dlq.redrive(sqs, dead, live) == 2
    assert dlq.peek(sqs, dead) == []
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=live, MaxNumberOfMessages=10)["Messages"]]
    assert "{not json" in bodies and any(good.metadata.event_id in b for b in bodies)
