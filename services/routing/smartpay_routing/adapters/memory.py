"""In-memory adapters: the simulator's health store and the unit tests' fakes (same contracts as Redis/S3)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from smartpay_routing.domain.health import Breaker, GatewayHealth, HealthConfig, WindowStats
from smartpay_routing.service_layer.ports import CheckpointStore, DecisionStore, HealthStore


class InMemoryHealthStore(HealthStore):
    def __init__(self, cfg: HealthConfig):
        self.cfg = cfg
        self._buckets: dict[str, dict[int, list[int]]] = defaultdict(dict)
        self._breakers: dict[str, Breaker] = {}

    def _window(self, gateway: str, now: float) -> WindowStats:
        current = math.floor(now / self.cfg.bucket_seconds)
        first = current - int(self.cfg.window_seconds / self.cfg.bucket_seconds) + 1
        buckets = self._buckets[gateway]
        for old in [b for b in buckets if b < first]:
            del buckets[old]
        return WindowStats(sum(v[0] for v in buckets.values()), sum(v[1] for v in buckets.values()))

    def snapshot(self, gateways: Iterable[str], now: float) -> dict[str, GatewayHealth]:
        return {g: GatewayHealth(self._window(g, now), self.breaker(g)) for g in gateways}

    def add_result(self, gateway: str, gateway_error: bool, now: float) -> WindowStats:
        bucket = self._buckets[gateway].setdefault(math.floor(now / self.cfg.bucket_seconds), [0, 0])
        bucket[0] += 1
        bucket[1] += int(gateway_error)
        return self._window(gateway, now)

    def breaker(self, gateway: str) -> Breaker:
        return self._breakers.get(gateway, Breaker())

    def put_breaker(self, gateway: str, breaker: Breaker) -> None:
        self._breakers[gateway] = breaker

    def reset_window(self, gateway: str, now: float) -> None:
        self._buckets[gateway].clear()


class InMemoryDecisionStore(DecisionStore):
    def __init__(self) -> None:
        self.records: dict[tuple[str, int], dict] = {}
        self.claimed: set[tuple[str, int]] = set()

    def put_if_absent(self, payment_id: str, attempt: int, record: dict) -> dict | None:
        existing = self.records.get((payment_id, attempt))
        if existing is None:
            self.records[(payment_id, attempt)] = record
        return existing

    def get(self, payment_id: str, attempt: int) -> dict | None:
        return self.records.get((payment_id, attempt))

    def claim_outcome(self, payment_id: str, attempt: int) -> bool:
        if (payment_id, attempt) in self.claimed:
            return False
        self.claimed.add((payment_id, attempt))
        return True

    def release_outcome(self, payment_id: str, attempt: int) -> None:
        self.claimed.discard((payment_id, attempt))


class InMemoryCheckpointStore(CheckpointStore):
    def __init__(self) -> None:
        self.saved: list[tuple[str, bytes, dict, list[dict]]] = []

    def latest(self) -> tuple[str, bytes, dict] | None:
        if not self.saved:
            return None
        checkpoint_id, model, metadata, _ = self.saved[-1]
        return checkpoint_id, model, metadata

    def save(self, checkpoint_id: str, model: bytes, metadata: dict, decision_log: list[dict]) -> None:
        self.saved.append((checkpoint_id, model, metadata, decision_log))
