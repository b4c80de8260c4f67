"""Routing decisions kept in Redis until their outcome arrives, and the outcome dedupe marks."""

from __future__ import annotations

import json

import redis

from smartpay_routing.service_layer.ports import StoreUnavailable, DecisionStore


class DecisionStoreUnavailable(StoreUnavailable):
    pass


class RedisDecisionStore(DecisionStore):
    def __init__(self, client: redis.Redis, prefix: str = "routing:", ttl_seconds: int = 7 * 24 * 3600):
        self._r = client
        self._prefix = prefix
        self._ttl = ttl_seconds

    def _key(self, kind: str, payment_id: str, attempt: int) -> str:
        return f"{self._prefix}{kind}:{payment_id}:{attempt}"

    def put_if_absent(self, payment_id: str, attempt: int, record: dict) -> dict | None:
        key = self._key("decision", payment_id, attempt)
        try:
            if self._r.set(key, json.dumps(record, separators=(",", ":")), nx=True, ex=self._ttl):
                return None
            existing = self._r.get(key)
        except redis.RedisError as e:
            raise DecisionStoreUnavailable(f"cannot store decision: {e}") from e
        return json.loads(existing) if existing else None

    def get(self, payment_id: str, attempt: int) -> dict | None:
        try:
            raw = self._r.get(self._key("decision", payment_id, attempt))
        except redis.RedisError as e:
            raise DecisionStoreUnavailable(f"cannot read decision: {e}") from e
        return json.loads(raw) if raw else None

    def claim_outcome(self, payment_id: str, attempt: int) -> bool:
        try:
            return bool(self._r.set(self._key("outcome", payment_id, attempt), "1", nx=True, ex=self._ttl))
        except redis.RedisError as e:
            raise DecisionStoreUnavailable(f"cannot claim outcome: {e}") from e

    def release_outcome(self, payment_id: str, attempt: int) -> None:
        try:
            self._r.delete(self._key("outcome", payment_id, attempt))
        except redis.RedisError as e:
            raise DecisionStoreUnavailable(f"cannot release outcome: {e}") from e
