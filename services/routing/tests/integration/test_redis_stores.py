"""Health windows, circuit breakers and decision records in the real Redis."""

import pytest

from smartpay_routing.adapters.redis_decisions import RedisDecisionStore
from smartpay_routing.adapters.redis_health import RedisHealthStore
from smartpay_routing.domain.health import Breaker, HealthConfig, WindowStats
from smartpay_routing.service_layer.health import record_result

pytestmark = pytest.mark.integration
CFG = HealthConfig(window_seconds=60, bucket_seconds=5, min_requests=10, error_threshold=0.5,
                   cooldown_seconds=30, probe_successes=3, probe_max_failures=2)
T0 = 1_800_000_000.0


def test_window_counts_slide_and_expire(redis_prefix):
    client, prefix = redis_prefix
    store = RedisHealthStore(client, CFG, prefix)
    for i in range(6):
        store.add_result("stripe", i % 2 == 0, T0 + i)
    assert store.snapshot(["stripe", "solana"], T0 + 6)["stripe"].window == WindowStats(6, 3)
    assert store.snapshot(["stripe", "solana"], T0 + 6)["solana"].window == WindowStats(0, 0)
    assert store.snapshot(["stripe"], T0 + 70)["stripe"].window == WindowStats(0, 0)  # slid out
    ttl = client.ttl(next(client.scan_iter(match=prefix + "health:stripe:*")))
    assert 0 < ttl <= 70


def test_elimination_and_recovery_through_redis(redis_prefix):
    client, prefix = redis_prefix
    store = RedisHealthStore(client, CFG, prefix)
    for i in range(10):
        record_result(store, "amazon_pay", True, T0 + i * 0.5, CFG)
    assert store.breaker("amazon_pay") == Breaker("open", T0 + 4.5)
    # a second process (a new store on the same Redis) sees the open circuit
    other = RedisHealthStore(client, CFG, prefix)
    assert other.snapshot(["amazon_pay"], T0 + 10)["amazon_pay"].status(T0 + 10, CFG) == "open"
    assert other.snapshot(["amazon_pay"], T0 + 40)["amazon_pay"].status(T0 + 40, CFG) == "half_open"
    for i in range(3):
        record_result(other, "amazon_pay", False, T0 + 41 + i, CFG)
    assert store.breaker("amazon_pay") == Breaker("closed")
    assert store.snapshot(["amazon_pay"], T0 + 44)["amazon_pay"].window == WindowStats(0, 0)


def test_decisions_are_stored_once_and_outcomes_claimed_once(redis_prefix):
    client, prefix = redis_prefix
    store = RedisDecisionStore(client, prefix, ttl_seconds=120)
    assert store.put_if_absent("pay_00000001", 1, {"gateway": "stripe"}) is None
    assert store.put_if_absent("pay_00000001", 1, {"gateway": "solana"}) == {"gateway": "stripe"}
    assert store.get("pay_00000001", 1) == {"gateway": "stripe"} and store.get("pay_00000001", 2) is None
    assert store.claim_outcome("pay_00000001", 1) is True
    assert store.claim_outcome("pay_00000001", 1) is False
    store.release_outcome("pay_00000001", 1)
    assert store.claim_outcome("pay_00000001", 1) is True
    assert 0 < client.ttl(f"{prefix}decision:pay_00000001:1") <= 120
