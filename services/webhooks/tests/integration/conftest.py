"""The webhooks service on a private moto server (tables, KMS key, delivery and event queues created as the
Terraform root does) and a private redis-server (the per-endpoint caps), with a real HTTP receiver on a free
port that verifies every delivery."""

from __future__ import annotations

import json

import pytest

from smartpay_shared.config import platform_settings
from smartpay_shared.runtime.worker import to_lambda_record
from smartpay_shared.testing.events import to_bus_event
from smartpay_shared.testing.redis_server import private_redis

from smartpay_webhooks import bootstrap
from smartpay_webhooks.config import webhooks_settings
from smartpay_webhooks.testing.receiver import Receiver

EVENT_QUEUE = "smartpay-webhooks"


def make_table(ddb, name: str, hash_key: str, range_key: str) -> None:
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": hash_key, "AttributeType": "S"},
                                           {"AttributeName": range_key, "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": hash_key, "KeyType": "HASH"},
                                {"AttributeName": range_key, "KeyType": "RANGE"}])


@pytest.fixture
def local_settings():
    """The local target's URL policy (Terraform's local.tfvars): plain HTTP to loopback."""
    return {"WEBHOOKS_REQUIRE_HTTPS": "false", "WEBHOOKS_ALLOW_LOOPBACK": "true"}


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    with private_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def wired(aws, monkeypatch, local_settings, redis_url):
    ddb, kms, sqs = aws("dynamodb"), aws("kms"), aws("sqs")
    make_table(ddb, "smartpay-webhook-endpoints", "merchant_id", "endpoint_id")
    make_table(ddb, "smartpay-webhook-deliveries", "endpoint_id", "delivery_id")
    key = kms.create_key(Description="platform")["KeyMetadata"]["Arn"]
    sqs.create_queue(QueueName="smartpay-webhooks-deliveries")
    sqs.create_queue(QueueName=EVENT_QUEUE)
    for name, value in {"WEBHOOKS_KMS_KEY_ID": key, "WEBHOOKS_RETRY_BASE_SECONDS": "1", "WEBHOOKS_RETRY_FACTOR": "1",
                        "WEBHOOKS_REDIS_URL": redis_url, **local_settings}.items():
        monkeypatch.setenv(name, value)
    webhooks_settings.cache_clear()
    platform_settings.cache_clear()
    bootstrap.service.cache_clear()
    yield {"ddb": ddb, "kms": kms, "sqs": sqs, "key": key}
    webhooks_settings.cache_clear()
    bootstrap.service.cache_clear()


@pytest.fixture
def receiver():
    found = Receiver()
    found.url = found.start()
    yield found
    found.stop()


@pytest.fixture
def consume():
    return _consume


def _consume(sqs, envelope) -> dict:
    """One event through the service queue and the consumer Lambda, as the SQS event source hands it over."""
    from smartpay_shared.runtime.lambda_context import LocalLambdaContext

    from smartpay_webhooks.entrypoints import queue_consumer

    url = sqs.get_queue_url(QueueName=EVENT_QUEUE)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(to_bus_event(envelope)))
    (message,) = sqs.receive_message(QueueUrl=url, AttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    record = to_lambda_record(message, f"arn:aws:sqs:us-east-1:123456789012:{EVENT_QUEUE}", "us-east-1")
    return queue_consumer.lambda_handler({"Records": [record]}, LocalLambdaContext("webhooks-worker"))
