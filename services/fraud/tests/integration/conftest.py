"""Real services: a moto server subprocess (S3, EventBridge, SQS) and a private redis-server on a free port
(started for the session, never the machine's Redis; a unique key prefix per test, deleted afterwards).
FRAUD_TEST_REDIS_URL points the tests at another Redis instead."""

import os
import shutil
import uuid

import boto3
import pytest
import redis

from smartpay_shared.config import platform_settings
from smartpay_shared.testing import MotoServer
from smartpay_shared.testing.redis_server import private_redis

from smartpay_fraud import bootstrap
from smartpay_fraud.adapters.redis_store import RedisFeatureStore
from smartpay_fraud.config import FraudSettings

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


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A redis-server of the test session's own (no persistence), or FRAUD_TEST_REDIS_URL when set."""
    if os.environ.get("FRAUD_TEST_REDIS_URL"):
        yield os.environ["FRAUD_TEST_REDIS_URL"]
        return
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (or set FRAUD_TEST_REDIS_URL)")
    with private_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def new_store(redis_url):
    """Fresh, empty feature stores (each its own key prefix) on the session's Redis; deleted afterwards."""
    made = []

    def make() -> RedisFeatureStore:
        made.append(RedisFeatureStore(redis.Redis.from_url(redis_url), prefix=f"fraudtest-{uuid.uuid4().hex[:8]}"))
        return made[-1]

    yield make
    for store in made:
        store.clear()


@pytest.fixture
def redis_store(redis_url):
    client = redis.Redis.from_url(redis_url)
    client.ping()
    store = RedisFeatureStore(client, prefix=f"fraudtest-{uuid.uuid4().hex[:8]}")
    yield store
    store.clear()


@pytest.fixture
def settings(tmp_path, redis_store, redis_url):
    return FraudSettings(model_bucket=BUCKET, cache_dir=tmp_path / "cache", redis_url=redis_url,
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
