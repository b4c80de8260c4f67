"""The per-endpoint caps in Redis, shared by every deliverer and consumer instance; Redis' own clock
(`TIME`) is the only clock.

- Concurrency: a sorted set of leases per endpoint (member = the attempt's token, score = when its lease
  ends); one Lua script drops the expired leases and takes a slot if fewer than the cap are held, so
  concurrent admits never overspend it. The slot is given back after the attempt (ZREM); a holder that
  died frees it when its lease ends.
- Rate: the platform's token bucket (smartpay_shared.ratelimit), one bucket per endpoint. Taken after the
  slot; refused, the slot is given back at once.

Redis unavailable: the attempt is let through (logged), as the API's rate limit does: a cache outage must
not stop the merchants' notifications."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import redis

from smartpay_shared.ratelimit import RedisTokenBucket

from smartpay_webhooks.domain.caps import Admission, EndpointCaps

log = logging.getLogger("smartpay.webhooks.caps")

# KEYS[1] the endpoint's leases; ARGV: max_concurrency, lease in microseconds, token. Returns 1 if a slot was taken.
TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) / 1000) + 1000)
return 1
"""


class RedisEndpointGate:
    def __init__(self, client: redis.Redis, caps: EndpointCaps, prefix: str = "smartpay:webhooks:"):
        self.client, self.caps, self.prefix = client, caps, prefix
        self._take_slot = client.register_script(TAKE_SLOT)
        self._bucket = RedisTokenBucket(client, rate=caps.rate_per_second, burst=caps.burst, prefix=f"{prefix}rate:")

    @classmethod
    def from_url(cls, url: str, caps: EndpointCaps, **kwargs: Any) -> RedisEndpointGate:
        return cls(redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5), caps, **kwargs)

    def _slots(self, endpoint_id: str) -> str:
        return f"{self.prefix}slots:{endpoint_id}"

    def admit(self, endpoint_id: str) -> Admission:
        token = uuid.uuid4().hex
        try:
            taken = self._take_slot(keys=[self._slots(endpoint_id)],
                                    args=[self.caps.max_concurrency, int(self.caps.lease_seconds * 1_000_000), token])
        except redis.RedisError as e:
            log.error('{"message": "endpoint caps unavailable, attempt let through", "error": "%s"}',
                      type(e).__name__)
            return Admission(token="")  # admitted, nothing to release
        if not taken:
            return Admission(None, "concurrency")
        decision = self._bucket.take(endpoint_id)  # fails open on its own
        if not decision.allowed:
            self.release(endpoint_id, token)
            return Admission(None, "rate", float(decision.retry_after_seconds))
        return Admission(token)

    def release(self, endpoint_id: str, token: str) -> None:
        if not token:
            return
        try:
            self.client.zrem(self._slots(endpoint_id), token)
        except redis.RedisError as e:  # the lease frees the slot
            log.error('{"message": "endpoint slot not released, its lease will free it", "error": "%s"}',
                      type(e).__name__)
