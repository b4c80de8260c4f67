"""Real services: a moto server subprocess (S3, EventBridge, SQS) and the Redis at 127.0.0.1:6379
(DB 15, a unique key prefix per test, deleted afterwards)."""

import os
import uuid

import boto3
import pytest
import redis

from smartpay_shared.config import platform_settings
from smartpay_shared.testing import MotoServer

from smartpay_fraud import bootstrap
from smartpay_fraud.adapters.redis_store import RedisFeatureStore
from smartpay_fraud.config import FraudSettings

REDIS_URL = os.environ.get("FRAUD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BUCKET = "smartpay-fraud-models"


@pytest.fixture(scope="session")
def moto_server():
    with MotoServer() as server:
        yield server


@pytest.fixture
def aws(moto_server, monkeypatch):
    moto_server.reset()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": moto_server.url}.items():
        monkeypatch.setenv(key, value)
    platform_settings.cache_clear()

    def make(service):
        return boto3.client(service, endpoint_url=moto_server.url, region_name="us-east-1")

    yield make
    platform_settings.cache_clear()


@pytest.fixture
def redis_store():
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    store = RedisFeatureStore(client, prefix=f"fraudtest-{uuid.uuid4().hex[:8]}")
    yield store
    store.clear()


@pytest.fixture
def settings(tmp_path, redis_store):
    return FraudSettings(model_bucket=BUCKET, cache_dir=tmp_path / "cache", redis_url=REDIS_URL,
                         redis_prefix=redis_store._prefix)


@pytest.fixture
def registered(aws, trained, settings):
    """The session's model published to the moto S3 registry (as `smartpay fraud train --publish` does)."""
    s3 = aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    bootstrap.registry(settings, s3).publish(trained.bundle)
    return trained.bundle


@pytest.fixture
def service(registered, settings, aws, redis_store):
    """The process-wide scoring service the Lambda handlers use, built by bootstrap from a cold cache."""
    svc = bootstrap.build_scoring_service(settings, s3=aws("s3"), store=redis_store)
    bootstrap._service = svc
    yield svc
    bootstrap.reset()
