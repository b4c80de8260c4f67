"""The per-merchant token bucket on the real Redis (127.0.0.1:6379, a key prefix per test, deleted
afterwards): burst, exact refill (the bucket's clock moved back, no sleeping), atomic under concurrency,
one bucket per merchant, 429 problem with Retry-After through the gateway and through a service's own
resolver (the AWS path), and a Redis outage letting requests through (logged)."""

import json
import logging
import os
import threading
import uuid

import pytest
import redis
from werkzeug.test import Client

from smartpay_shared.local.auth import AuthError
from smartpay_shared.local.gateway import Gateway, GatewayRoute, GatewaySettings
from smartpay_shared.api import build_resolver
from smartpay_shared.ratelimit import RedisTokenBucket
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.testing import free_port, merchant_claims

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("SMARTPAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def client():
    return redis.Redis.from_url(REDIS_URL)


@pytest.fixture
def prefix(client):
    value = f"test-ratelimit-{uuid.uuid4().hex[:8]}:"
    yield value
    keys = list(client.scan_iter(match=value + "*"))
    if keys:
        client.delete(*keys)


def bucket(client, prefix, rate, burst):
    return RedisTokenBucket(client, rate=rate, burst=burst, prefix=prefix)


def test_a_burst_then_429_with_a_retry_after(client, prefix):
    limiter = bucket(client, prefix, rate=0.5, burst=3)
    decisions = [limiter.take("m_a") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after_seconds == 2  # 1 token at 0.5/s
    assert decisions[0].remaining == pytest.approx(2, abs=0.01)
    assert client.pttl(limiter.key("m_a")) > 0  # idle buckets expire


def age(client, limiter, subject, seconds):
    """Move the bucket's last refill `seconds` into the past (on Redis' clock): time passing, exactly."""
    key = limiter.key(subject)
    client.hset(key, "ts", int(client.hget(key, "ts")) - int(seconds * 1_000_000))


def test_tokens_come_back_at_the_rate(client, prefix):
    # 1 token per 1000 s: the real time the test takes (ms) is worth < 0.00001 token
    limiter = bucket(client, prefix, rate=0.001, burst=2)
    assert [limiter.take("m_a").allowed for _ in range(3)] == [True, True, False]
    age(client, limiter, "m_a", 500)  # half a token
    half = limiter.take("m_a")
    assert not half.allowed and half.remaining == pytest.approx(0.5, abs=1e-4) and half.retry_after_seconds == 500
    age(client, limiter, "m_a", 500)  # the other half
    whole = limiter.take("m_a")
    assert whole.allowed and whole.remaining == pytest.approx(0, abs=1e-4)
    age(client, limiter, "m_a", 10**6)  # a long idle time refills up to the burst, not beyond
    assert limiter.take("m_a").remaining == pytest.approx(1, abs=1e-4)


def test_concurrent_requests_never_overspend_the_bucket(client, prefix):
    limiter = bucket(client, prefix, rate=0.001, burst=50)
    allowed, lock = [], threading.Lock()

    def hammer():
        mine = [limiter.take("m_a").allowed for _ in range(25)]
        with lock:
            allowed.extend(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 200 and sum(allowed) == 50


def test_each_merchant_has_its_own_bucket(client, prefix):
    limiter = bucket(client, prefix, rate=0.001, burst=1)
    assert limiter.take("m_a").allowed and not limiter.take("m_a").allowed
    assert limiter.take("m_b").allowed


def test_redis_down_lets_requests_through_and_says_so(caplog):
    limiter = RedisTokenBucket.from_url(f"redis://127.0.0.1:{free_port()}/0", rate=1, burst=1)
    with caplog.at_level(logging.ERROR, logger="smartpay.ratelimit"):
        assert all(limiter.take("m_a").allowed for _ in range(3))
    assert "rate limiter unavailable" in caplog.text


class Verifier:
    def verify(self, token):
        if not token.startswith("m_"):
            raise AuthError("token is malformed")
        return {"token_use": "id", **merchant_claims(token, token=True), "sub": f"u-{token}"}


def test_the_gateway_answers_429_problem_with_retry_after_per_merchant(client, prefix):
    calls = []

    def handler(event, context):
        calls.append(event["requestContext"]["authorizer"]["claims"]["custom:merchant_id"])
        return {"statusCode": 200, "body": "{}"}

    gateway = Gateway([GatewayRoute("GET", "/thing", "svc")], {"svc": handler}, Verifier(),
                      limiter=bucket(client, prefix, rate=0.2, burst=2))
    http = Client(gateway)
    statuses = [http.get("/thing", headers={"Authorization": "Bearer m_a"}).status_code for _ in range(2)]
    limited = http.get("/thing", headers={"Authorization": "Bearer m_a"})
    assert statuses == [200, 200] and limited.status_code == 429
    assert limited.headers["Retry-After"] == "5"
    assert limited.content_type == "application/problem+json"
    body = limited.json
    assert (body["type"], body["status"], body["retry_after_seconds"]) == ("urn:smartpay:problem:rate-limited",
                                                                           429, 5)
    assert http.get("/thing", headers={"Authorization": "Bearer m_b"}).status_code == 200
    assert calls == ["m_a", "m_a", "m_b"]  # the limited request never reached the handler
    # An unauthenticated flood is refused before it can spend anyone's tokens.
    assert http.get("/thing").status_code == 401


def test_settings_build_the_limiter_from_redis_url(monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("SMARTPAY_GATEWAY_RATE_LIMIT_PER_SECOND", "7")
    settings = GatewaySettings()
    limiter = settings.limiter()
    assert (limiter.limit_per_second, limiter.burst, settings.redis_url) == (7, 400, REDIS_URL)
    assert GatewaySettings(rate_limit_per_second=0).limiter() is None


# --- the same limit inside a service's resolver (AWS: the Lambda against ElastiCache) --------------------


def lambda_event(merchant):
    claims = {**merchant_claims(merchant), "sub": f"u-{merchant}"} if merchant else None
    return {"resource": "/thing", "path": "/thing", "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "isBase64Encoded": False, "body": None,
            "requestContext": {"resourcePath": "/thing", "httpMethod": "GET", "stage": "prod", "requestId": "r-1",
                               "identity": {"sourceIp": "127.0.0.1"},
                               "authorizer": {"claims": claims} if claims else {}}}


def test_a_resolver_built_with_the_env_limits_each_merchant(client, prefix, monkeypatch):
    monkeypatch.setenv("SMARTPAY_API_RATE_LIMIT_PER_SECOND", "0.2")
    monkeypatch.setenv("SMARTPAY_API_RATE_LIMIT_BURST", "2")
    monkeypatch.setenv("SMARTPAY_API_REDIS_URL", REDIS_URL)
    app = build_resolver("limited", "0")
    app.limiter._prefix = prefix  # this test's keys only
    calls = []

    @app.get("/thing")
    def thing() -> dict:
        calls.append(1)
        return {"ok": True}

    context = LocalLambdaContext("limited")
    statuses = [app.resolve(lambda_event("m_a"), context)["statusCode"] for _ in range(2)]
    limited = app.resolve(lambda_event("m_a"), context)
    assert statuses == [200, 200] and limited["statusCode"] == 429
    assert limited["headers"]["Retry-After"] == "5"
    body = json.loads(limited["body"])
    assert (body["type"], body["retry_after_seconds"], body["instance"]) == (
        "urn:smartpay:problem:rate-limited", 5, "/thing")
    assert app.resolve(lambda_event("m_b"), context)["statusCode"] == 200
    assert len(calls) == 3  # the limited call never ran the route
    assert client.exists(prefix + "m_a") and client.exists(prefix + "m_b")


def test_no_limit_unless_configured_and_a_rate_without_redis_is_refused(monkeypatch):
    from smartpay_shared.api import limiter_from_env

    assert limiter_from_env({}) is None and limiter_from_env({"SMARTPAY_API_RATE_LIMIT_PER_SECOND": "0"}) is None
    with pytest.raises(ValueError, match="no Redis URL"):
        limiter_from_env({"SMARTPAY_API_RATE_LIMIT_PER_SECOND": "5"})
    limiter = limiter_from_env({"SMARTPAY_API_RATE_LIMIT_PER_SECOND": "5", "SMARTPAY_API_REDIS_URL": REDIS_URL})
    assert (limiter.limit_per_second, limiter.burst) == (5, 10)
