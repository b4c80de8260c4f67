"""The event consumer's endpoint lists: reused for the configured seconds, per merchant, then read again."""

from datetime import UTC, datetime

from smartpay_webhooks.domain.model import Endpoint, EndpointStatus
from smartpay_webhooks.service_layer.endpoint_cache import CachedEndpointLists


class Table:
    def __init__(self):
        self.rows: dict[str, list[str]] = {"m_a": ["we_1"], "m_b": ["we_2"]}
        self.reads = 0

    def list(self, merchant_id):
        self.reads += 1
        return [endpoint(merchant_id, e) for e in self.rows.get(merchant_id, [])]


def endpoint(merchant_id, endpoint_id):
    now = datetime(2026, 12, 6, tzinfo=UTC)
    return Endpoint(merchant_id=merchant_id, endpoint_id=endpoint_id, url="https://example.com/hook",
                    event_types=("payment.captured",), description="", status=EndpointStatus.ENABLED, secrets=(),
                    created_at=now, updated_at=now)


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def ids(endpoints):
    return [e.endpoint_id for e in endpoints]


def test_a_merchants_list_is_reused_until_the_ttl_then_read_again():
    table, clock = Table(), Clock()
    cache = CachedEndpointLists(table, 2.0, clock=clock)
    assert ids(cache.list("m_a")) == ["we_1"] and table.reads == 1
    table.rows["m_a"] = ["we_1", "we_3"]  # a new endpoint
    clock.now += 1.9
    assert ids(cache.list("m_a")) == ["we_1"] and table.reads == 1  # inside the TTL: not seen yet
    clock.now += 0.2
    assert ids(cache.list("m_a")) == ["we_1", "we_3"] and table.reads == 2  # after it: read again


def test_merchants_are_cached_apart_and_the_oldest_is_dropped_beyond_the_bound():
    table, clock = Table(), Clock()
    cache = CachedEndpointLists(table, 60.0, clock=clock, max_merchants=1)
    assert ids(cache.list("m_a")) == ["we_1"] and ids(cache.list("m_b")) == ["we_2"]  # never another's list
    assert table.reads == 2
    cache.list("m_a")  # dropped when m_b came in: read again
    assert table.reads == 3


def test_zero_reads_the_table_for_every_event():
    table = Table()
    cache = CachedEndpointLists(table, 0.0, clock=Clock())
    cache.list("m_a")
    cache.list("m_a")
    assert table.reads == 2


def test_a_caller_cannot_change_the_cached_list():
    table = Table()
    cache = CachedEndpointLists(table, 60.0, clock=Clock())
    cache.list("m_a").clear()
    assert ids(cache.list("m_a")) == ["we_1"]
