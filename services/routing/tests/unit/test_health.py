"""Circuit breaker over the sliding error window: trip, cool down, probe, close (window reset) or re-open."""

from smartpay_routing.adapters.memory import InMemoryHealthStore
from smartpay_routing.domain.health import Breaker, HealthConfig, WindowStats
from smartpay_routing.service_layer.health import record_result

CFG = HealthConfig(window_seconds=60, bucket_seconds=5, min_requests=10, error_threshold=0.5,
                   cooldown_seconds=30, probe_successes=3, probe_max_failures=2)


def test_trips_only_with_enough_requests_and_errors():
    store = InMemoryHealthStore(CFG)
    for i in range(9):
        assert record_result(store, "stripe", True, 100.0 + i * 0.1, CFG).state == "closed"
    assert record_result(store, "stripe", True, 101.0, CFG) == Breaker("open", 101.0)


def test_successes_keep_the_error_rate_under_the_threshold():
    store = InMemoryHealthStore(CFG)
    for i in range(40):
        record_result(store, "stripe", i % 3 == 0, 100.0 + i * 0.1, CFG)  # 1 in 3 errors
    assert store.breaker("stripe").state == "closed"
    assert store.snapshot(["stripe"], 104.0)["stripe"].window == WindowStats(40, 14)


def test_window_slides_old_errors_out():
    store = InMemoryHealthStore(CFG)
    for _ in range(5):
        record_result(store, "stripe", True, 100.0, CFG)
    assert store.snapshot(["stripe"], 100.0)["stripe"].window.errors == 5
    assert store.snapshot(["stripe"], 170.0)["stripe"].window == WindowStats(0, 0)


def test_open_turns_half_open_after_cooldown_and_closes_after_probe_successes():
    store = InMemoryHealthStore(CFG)
    store.put_breaker("stripe", Breaker("open", 100.0))
    for _ in range(10):
        store.add_result("stripe", True, 100.0)
    assert store.breaker("stripe").status(129.0, CFG) == "open"
    assert store.breaker("stripe").status(130.0, CFG) == "half_open"
    record_result(store, "stripe", False, 131.0, CFG)
    record_result(store, "stripe", False, 132.0, CFG)
    assert store.breaker("stripe").state == "half_open"
    assert record_result(store, "stripe", False, 133.0, CFG) == Breaker("closed")
    # The window was reset on closing: the outage's errors cannot re-trip it at once.
    assert store.snapshot(["stripe"], 133.0)["stripe"].window == WindowStats(0, 0)


def test_failed_probes_reopen_with_a_fresh_cooldown():
    store = InMemoryHealthStore(CFG)
    store.put_breaker("stripe", Breaker("open", 100.0))
    record_result(store, "stripe", True, 131.0, CFG)
    assert store.breaker("stripe").status(131.0, CFG) == "half_open"
    assert record_result(store, "stripe", True, 132.0, CFG) == Breaker("open", 132.0)
    assert store.breaker("stripe").status(150.0, CFG) == "open"


def test_results_while_open_do_not_change_the_breaker():
    store = InMemoryHealthStore(CFG)
    store.put_breaker("stripe", Breaker("open", 100.0))
    assert record_result(store, "stripe", False, 110.0, CFG) == Breaker("open", 100.0)
