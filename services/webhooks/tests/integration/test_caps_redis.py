"""The per-endpoint caps on a real (private) redis-server: never more slots than the cap under concurrent
admits, a released or expired slot is free again, the rate bucket's burst and refill, one endpoint's caps
independent of another's, and a Redis outage letting attempts through."""

import threading
import time
import uuid

import pytest

from smartpay_shared.testing import free_port

from smartpay_webhooks.adapters.redis_gate import RedisEndpointGate
from smartpay_webhooks.domain.caps import EndpointCaps

pytestmark = pytest.mark.integration


def gate(redis_url, **caps) -> RedisEndpointGate:
    return RedisEndpointGate.from_url(redis_url, EndpointCaps(**caps), prefix=f"test-{uuid.uuid4().hex[:8]}:")


def test_concurrent_admits_never_exceed_the_concurrency_cap(redis_url):
    g = gate(redis_url, max_concurrency=3, rate_per_second=1000, burst=1000)
    results, barrier = [], threading.Barrier(12)

    def admit():
        barrier.wait()
        results.append(g.admit("we_a"))

    threads = [threading.Thread(target=admit) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    admitted = [a for a in results if a.admitted]
    assert len(admitted) == 3 and {a.over for a in results if not a.admitted} == {"concurrency"}
    assert g.admit("we_b").admitted  # another endpoint: its own slots
    g.release("we_a", admitted[0].token)
    assert g.admit("we_a").admitted and not g.admit("we_a").admitted


def test_a_slot_whose_holder_died_frees_itself_when_its_lease_ends(redis_url):
    g = gate(redis_url, max_concurrency=1, rate_per_second=1000, burst=1000, lease_seconds=0.3)
    assert g.admit("we_a").admitted  # never released
    assert not g.admit("we_a").admitted
    time.sleep(0.4)
    assert g.admit("we_a").admitted


def test_the_rate_bucket_lets_the_burst_through_then_says_when_a_token_is_due(redis_url):
    g = gate(redis_url, max_concurrency=100, rate_per_second=2, burst=3)
    answers = [g.admit("we_a") for _ in range(4)]
    for a in answers[:3]:
        g.release("we_a", a.token)
    assert [a.admitted for a in answers] == [True, True, True, False]
    assert answers[3].over == "rate" and answers[3].retry_after_seconds == 1  # whole seconds, at least 1
    assert g.client.zcard(g._slots("we_a")) == 0  # the refused attempt gave its slot back
    time.sleep(0.55)  # a token every 0.5 s
    assert g.admit("we_a").admitted


def test_redis_down_lets_the_attempt_through(caplog):
    g = RedisEndpointGate.from_url(f"redis://127.0.0.1:{free_port()}/0", EndpointCaps())
    admission = g.admit("we_a")
    assert admission.admitted and admission.token == ""
    g.release("we_a", admission.token)  # nothing to release, no error
    assert "endpoint caps unavailable" in caplog.text
