"""Gateway health windows and circuit breakers in Redis (the ElastiCache role): one hash per time bucket
per gateway (attempts `a`, errors `e`) expiring after the window, one hash per breaker."""

from __future__ import annotations

import math
from collections.abc import Iterable

import redis

from smartpay_routing.domain.health import Breaker, GatewayHealth, HealthConfig, WindowStats
from smartpay_routing.service_layer.ports import StoreUnavailable, HealthStore


class HealthStoreUnavailable(StoreUnavailable):
    pass


class RedisHealthStore(HealthStore):
    def __init__(self, client: redis.Redis, cfg: HealthConfig, prefix: str = "routing:"):
        self._r = client
        self.cfg = cfg
        self._prefix = prefix
        self._buckets = int(cfg.window_seconds / cfg.bucket_seconds)
        self._ttl = int(cfg.window_seconds + 2 * cfg.bucket_seconds)

    def _bucket_keys(self, gateway: str, now: float) -> list[str]:
        current = math.floor(now / self.cfg.bucket_seconds)
        return [f"{self._prefix}health:{gateway}:{b}" for b in range(current - self._buckets + 1, current + 1)]

    def _breaker_key(self, gateway: str) -> str:
        return f"{self._prefix}breaker:{gateway}"

    @staticmethod
    def _sum(rows: list) -> WindowStats:
        attempts = sum(int(a or 0) for a, _ in rows)
        errors = sum(int(e or 0) for _, e in rows)
        return WindowStats(attempts, errors)

    def snapshot(self, gateways: Iterable[str], now: float) -> dict[str, GatewayHealth]:
        gateways = list(gateways)
        try:
            pipe = self._r.pipeline(transaction=False)
            for g in gateways:
                for key in self._bucket_keys(g, now):
                    pipe.hmget(key, "a", "e")
                pipe.hgetall(self._breaker_key(g))
            rows = pipe.execute()
        except redis.RedisError as e:
            raise HealthStoreUnavailable(f"cannot read gateway health: {e}") from e
        out, step = {}, self._buckets + 1
        for i, g in enumerate(gateways):
            chunk = rows[i * step:(i + 1) * step]
            out[g] = GatewayHealth(self._sum(chunk[:-1]), _breaker(chunk[-1]))
        return out

    def add_result(self, gateway: str, gateway_error: bool, now: float) -> WindowStats:
        keys = self._bucket_keys(gateway, now)
        try:
            pipe = self._r.pipeline(transaction=True)
            pipe.hincrby(keys[-1], "a", 1)
            pipe.hincrby(keys[-1], "e", int(gateway_error))
            pipe.expire(keys[-1], self._ttl)
            for key in keys:
                pipe.hmget(key, "a", "e")
            rows = pipe.execute()[3:]
        except redis.RedisError as e:
            raise HealthStoreUnavailable(f"cannot record gateway health: {e}") from e
        return self._sum(rows)

    def breaker(self, gateway: str) -> Breaker:
        try:
            return _breaker(self._r.hgetall(self._breaker_key(gateway)))
        except redis.RedisError as e:
            raise HealthStoreUnavailable(f"cannot read breaker: {e}") from e

    def put_breaker(self, gateway: str, breaker: Breaker) -> None:
        mapping = {"state": breaker.state, "opened_at": repr(breaker.opened_at), "probe_ok": breaker.probe_ok,
                   "probe_fail": breaker.probe_fail}
        try:
            self._r.hset(self._breaker_key(gateway), mapping=mapping)
        except redis.RedisError as e:
            raise HealthStoreUnavailable(f"cannot write breaker: {e}") from e

    def reset_window(self, gateway: str, now: float) -> None:
        try:
            self._r.delete(*self._bucket_keys(gateway, now))
        except redis.RedisError as e:
            raise HealthStoreUnavailable(f"cannot reset window: {e}") from e


def _breaker(raw: dict) -> Breaker:
    if not raw:
        return Breaker()
    get = (lambda k: raw.get(k) if k in raw else raw.get(k.encode()))  # noqa: E731
    decode = (lambda v: v.decode() if isinstance(v, bytes) else v)  # noqa: E731
    return Breaker(decode(get("state")) or "closed", float(decode(get("opened_at")) or 0.0),
                   int(decode(get("probe_ok")) or 0), int(decode(get("probe_fail")) or 0))
