"""The per-merchant rate limit: a token bucket in Redis, refilled and spent by one Lua script, so
concurrent requests (several gateway processes, many Lambda instances) never overspend it. Redis' own
clock (`TIME`) is the only clock: hosts may disagree about the time, the bucket does not.

Two places spend it: the local gateway (`SMARTPAY_GATEWAY_RATE_LIMIT_*`, smartpay_shared.local.gateway)
and, in AWS, every service's resolver (`SMARTPAY_API_RATE_LIMIT_*`, smartpay_shared.api) against
ElastiCache. An HTTP API has no usage plans: its stage throttling is per route for all callers together,
so the per-merchant limit cannot be API Gateway's."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Protocol

import redis

log = logging.getLogger("smartpay.ratelimit")

# KEYS[1] bucket; ARGV: capacity, refill tokens per second, cost.
# Returns {allowed (0/1), tokens left (string), microseconds until `cost` tokens are there}.
TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2]) / 1000000
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%d', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate / 1000) + 1000)
return {allowed, string.format('%.6f', tokens), wait}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: float
    retry_after_seconds: int  # 0 when allowed


class RateLimiter(Protocol):
    limit_per_second: float

    def take(self, subject: str, cost: int = 1) -> Decision: ...


class RedisTokenBucket:
    """`rate` tokens a second, at most `burst` saved up, one bucket per subject (the merchant)."""

    def __init__(self, client: redis.Redis, *, rate: float, burst: int, prefix: str = "smartpay:ratelimit:",
                 fail_open: bool = True):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._client = client
        self._script = client.register_script(TOKEN_BUCKET)
        self.limit_per_second = rate
        self.burst = burst
        self._prefix = prefix
        self._fail_open = fail_open

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisTokenBucket:
        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, **kwargs)

    def key(self, subject: str) -> str:
        return self._prefix + subject

    def take(self, subject: str, cost: int = 1) -> Decision:
        try:
            allowed, remaining, wait_us = self._script(keys=[self.key(subject)],
                                                       args=[self.burst, self.limit_per_second, cost])
        except redis.RedisError as e:
            # A limiter outage must not take payments down with it: let the request through, loudly.
            log.error('{"message": "rate limiter unavailable, request let through", "error": "%s"}',
                      type(e).__name__)
            if self._fail_open:
                return Decision(True, float("nan"), 0)
            raise
        retry = 0 if allowed else max(1, math.ceil(int(wait_us) / 1_000_000))
        return Decision(bool(allowed), float(remaining), retry)
