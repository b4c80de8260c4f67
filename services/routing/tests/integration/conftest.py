"""Real dependencies for the integration tests: a moto server subprocess (S3, EventBridge, SQS) and the
Redis at 127.0.0.1:6379 under a per-test key prefix that is deleted afterwards."""

import uuid

import boto3
import pytest
import redis

from smartpay_shared.config import platform_settings
from smartpay_shared.testing import MotoServer

from smartpay_routing.config import routing_settings

BUCKET = "smartpay-routing-checkpoints"
BUS = "smartpay-bus"


@pytest.fixture
def bucket():
    return BUCKET


@pytest.fixture(scope="session")
def moto_server():
    with MotoServer() as server:
        yield server


@pytest.fixture
def redis_prefix():
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test-routing-{uuid.uuid4().hex[:8]}:"
    yield client, prefix
    keys = list(client.scan_iter(match=prefix + "*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture
def aws(moto_server, monkeypatch, redis_prefix):
    """boto3 clients on a freshly reset moto server with the checkpoint bucket and the bus; the service's
    settings point at them and at the test's Redis prefix."""
    moto_server.reset()
    _, prefix = redis_prefix
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": moto_server.url, "ROUTING_KEY_PREFIX": prefix,
                       "ROUTING_CHECKPOINT_EVERY": "5",
                       "ROUTING_HEALTH_CACHE_SECONDS": "0"}.items():
        monkeypatch.setenv(key, value)
    routing_settings.cache_clear()
    platform_settings.cache_clear()

    def make(service):
        return boto3.client(service, endpoint_url=moto_server.url, region_name="us-east-1")

    make("s3").create_bucket(Bucket=BUCKET)
    make("events").create_event_bus(Name=BUS)
    yield make
    routing_settings.cache_clear()
    platform_settings.cache_clear()
