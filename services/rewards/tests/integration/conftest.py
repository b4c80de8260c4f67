"""The rewards service on the session's private moto server: its two tables as Terraform creates them and
its event queue with a DLQ (redrive after one receive), events through the real consumer Lambda."""

from __future__ import annotations

import json

import pytest

from smartpay_shared.config import platform_settings
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.runtime.worker import to_lambda_record
from smartpay_shared.testing.events import to_bus_event

from smartpay_rewards import bootstrap
from smartpay_rewards.config import rewards_settings
from smartpay_rewards.testing import create_tables

EVENT_QUEUE = "smartpay-rewards"


@pytest.fixture
def wired(aws, monkeypatch):
    ddb, sqs = aws("dynamodb"), aws("sqs")
    create_tables(ddb)
    dlq = sqs.create_queue(QueueName=EVENT_QUEUE + "-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName=EVENT_QUEUE, Attributes={
        "VisibilityTimeout": "0", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})})
    monkeypatch.setenv("REWARDS_MERCHANT_EARN_RATES", json.dumps({"m_gold": "3"}))
    rewards_settings.cache_clear()
    platform_settings.cache_clear()
    bootstrap.service.cache_clear()
    yield {"ddb": ddb, "sqs": sqs, "queue": queue["QueueUrl"], "dlq": dlq}
    rewards_settings.cache_clear()
    bootstrap.service.cache_clear()


@pytest.fixture
def consume(wired):
    def _consume(*envelopes) -> dict:
        """Events through the service queue and the consumer Lambda, in one batch as the event source hands
        it over; a failed record is left on the queue (its redrive policy moves it to the DLQ)."""
        from smartpay_rewards.entrypoints import queue_consumer

        sqs, url = wired["sqs"], wired["queue"]
        for envelope in envelopes:
            body = envelope if isinstance(envelope, str) else json.dumps(to_bus_event(envelope))
            sqs.send_message(QueueUrl=url, MessageBody=body)
        messages = []
        while len(messages) < len(envelopes):
            got = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], MaxNumberOfMessages=10,
                                      VisibilityTimeout=30, WaitTimeSeconds=1).get("Messages", [])
            assert got, "messages did not arrive"
            messages += got
        records = [to_lambda_record(m, f"arn:aws:sqs:us-east-1:123456789012:{EVENT_QUEUE}", "us-east-1")
                   for m in messages]
        result = queue_consumer.lambda_handler({"Records": records}, LocalLambdaContext("rewards-worker"))
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] in failed:  # what the event source does: visible again -> next receive redrives
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return result

    return _consume
