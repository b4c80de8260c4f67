"""The event consumer's view of a merchant's endpoints, reused for a few seconds
(`WEBHOOKS_ENDPOINTS_CACHE_SECONDS`, 2 by default; 0 reads for every event).

Every payment outcome fans out to its merchant's endpoints, so without it each outcome paid a DynamoDB Query before
its first attempt could start (the largest piece of the consumer's own time on the outcome -> merchant path,
bench_webhooks). The price: an endpoint created, changed, disabled or deleted reaches the consumer up to that many
seconds later. The deliverer (retries) and the API always read the table. Secrets are not cached here, only the
endpoints' records (their ciphertexts); the secret box keeps its own cache of what it decrypted."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from smartpay_webhooks.domain.model import Endpoint
from smartpay_webhooks.service_layer.ports import EndpointLists

MAX_MERCHANTS = 10_000  # the least recently used merchant's list is dropped beyond this


class CachedEndpointLists:
    def __init__(self, source: EndpointLists, ttl_seconds: float, *, clock: Callable[[], float] = time.monotonic,
                 max_merchants: int = MAX_MERCHANTS):
        self._source, self._ttl, self._clock, self._max = source, ttl_seconds, clock, max_merchants
        self._lists: OrderedDict[str, tuple[float, list[Endpoint]]] = OrderedDict()
        self._lock = threading.Lock()

    def list(self, merchant_id: str) -> list[Endpoint]:
        if self._ttl <= 0:
            return self._source.list(merchant_id)
        now = self._clock()
        with self._lock:
            found = self._lists.get(merchant_id)
            if found is not None and now - found[0] < self._ttl:
                self._lists.move_to_end(merchant_id)
                return list(found[1])
        endpoints = self._source.list(merchant_id)  # outside the lock: other merchants' events go on meanwhile
        with self._lock:
            self._lists[merchant_id] = (now, list(endpoints))
            self._lists.move_to_end(merchant_id)
            while len(self._lists) > self._max:
                self._lists.popitem(last=False)
        return endpoints
