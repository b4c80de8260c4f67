"""The online feature store on Redis (the ElastiCache role): one sorted set per entity, member = the
transaction (id + the fields windows aggregate), score = its timestamp. One Lua call per payment
records it (once per transaction id: at-least-once delivery never double counts) and reads every
window, with the same semantics as the offline computation."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import redis

from smartpay_fraud.domain.errors import FeatureStoreUnavailable
from smartpay_fraud.domain.features import MAX_WINDOW_MS, MEMBER_FIELDS, FeatureSet
from smartpay_fraud.domain.transactions import Transaction

_AGG = {"count": 0, "sum": 1, "distinct": 2}
SEP = "\x1f"
_MISSING = "-" * 16  # a field the payment does not have (hashes are 16 hex chars)

_SCRIPT = """
-- KEYS[1] = seen marker of this transaction, KEYS[1 + e] = sorted set of entity e (a dummy when absent)
-- ARGV: ts, member, ttl_ms, horizon_ms, presence "1101..." (one flag per entity)
local ts = tonumber(ARGV[1])
local present = ARGV[5]
local n_entities = #present
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', tonumber(ARGV[3])) then
  local oldest = '(' .. (ts - tonumber(ARGV[4]))
  for e = 1, n_entities do
    if string.byte(present, e) == 49 then
      redis.call('ZADD', KEYS[e + 1], ts, ARGV[2])
      redis.call('ZREMRANGEBYSCORE', KEYS[e + 1], '-inf', oldest)
      redis.call('PEXPIRE', KEYS[e + 1], tonumber(ARGV[3]))
    end
  end
end
local specs = __SPECS__  -- {entity, window, agg, field} per feature, inlined per feature set
local out = {}
for i = 1, #specs do
  local e, w, a, f = specs[i][1], specs[i][2], specs[i][3], specs[i][4]
  local key, lo = KEYS[e + 1], '(' .. (ts - w)
  if string.byte(present, e) ~= 49 then
    out[i] = -1
  elseif a == 0 then
    out[i] = redis.call('ZCOUNT', key, lo, ts)
  else
    -- Members are fixed-width (amount: 13 digits, then one 16-char hash per field, then the
    -- transaction id), so a field is a substring: no splitting.
    local members = redis.call('ZRANGEBYSCORE', key, lo, ts)
    if a == 1 then
      local total = 0
      for j = 1, #members do total = total + tonumber(string.sub(members[j], 1, 13)) end
      out[i] = total
    else
      local from, seen, n = 14 + (f - 2) * 16, {}, 0
      for j = 1, #members do
        local v = string.sub(members[j], from, from + 15)
        if v ~= '----------------' and not seen[v] then
          seen[v] = true
          n = n + 1
        end
      end
      out[i] = n
    end
  end
end
return out
"""


def _h(value: str) -> str:
    # Entity values are hashed: keys and members never carry a raw token, address or number.
    return hashlib.blake2b(value.encode(), digest_size=8).hexdigest()


class RedisFeatureStore:
    def __init__(self, client: redis.Redis, prefix: str = "fraud", ttl_ms: int = MAX_WINDOW_MS + 86_400_000):
        self._redis = client
        self._prefix = prefix
        self._ttl = ttl_ms
        self._none = f"{prefix}:none"  # stands in for an absent entity (never written)
        self._plans: dict[tuple[str, ...], tuple] = {}

    @classmethod
    def from_url(cls, url: str, prefix: str = "fraud") -> RedisFeatureStore:
        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), prefix)

    def _plan(self, features: FeatureSet) -> tuple[tuple[tuple[str, ...], ...], Any, list[str]]:
        """Entities in a fixed order and the script computing this feature set (built once per set)."""
        key = tuple(f.name for f in features.velocity)
        if key not in self._plans:
            entities = tuple(dict.fromkeys(f.entity for f in features.velocity))
            # The specs are compiled into the script (one script per feature set): decoding them on every
            # call cost more than all the window reads together.
            specs = ",".join(f"{{{entities.index(f.entity) + 1},{f.window_ms},{_AGG[f.agg]},"
                             f"{MEMBER_FIELDS.index(f.field) + 1 if f.field else 1}}}" for f in features.velocity)
            script = self._redis.register_script(_SCRIPT.replace("__SPECS__", "{" + specs + "}"))
            self._plans[key] = (entities, script, list(key))
        return self._plans[key]

    def _call(self, txn: Transaction, features: FeatureSet) -> tuple[Any, list[str], list, list[str]]:
        entities, script, names = self._plan(features)
        keys, present = [f"{self._prefix}:seen:{txn.transaction_id}"], []
        for entity in entities:
            values = [getattr(txn, e) for e in entity]
            if None in values:
                keys.append(self._none)
                present.append("0")
            else:
                keys.append(f"{self._prefix}:v:{'+'.join(entity)}:{_h(SEP.join(values))}")
                present.append("1")
        member = f"{int(txn.amount):013d}" + "".join(
            _h(v) if (v := getattr(txn, name)) else _MISSING for name in MEMBER_FIELDS[1:]) + txn.transaction_id
        return script, keys, [txn.timestamp_ms, member, self._ttl, MAX_WINDOW_MS, "".join(present)], names

    @staticmethod
    def _result(names: list[str], values: Sequence[int]) -> dict[str, float]:
        return {n: (math.nan if v < 0 else float(v)) for n, v in zip(names, values, strict=True)}

    def record_and_read(self, txn: Transaction, features: FeatureSet) -> dict[str, float]:
        script, keys, args, names = self._call(txn, features)
        try:
            values = script(keys=keys, args=args)
        except redis.RedisError as e:
            raise FeatureStoreUnavailable(f"online feature store: {type(e).__name__}: {e}") from e
        return self._result(names, values)

    def record_and_read_many(self, txns: Sequence[Transaction], features: FeatureSet) -> list[dict[str, float]]:
        """One round trip for a batch (pipelined), processed in order."""
        pipe = self._redis.pipeline(transaction=False)
        calls = []
        for txn in txns:
            script, keys, args, names = self._call(txn, features)
            script(keys=keys, args=args, client=pipe)
            calls.append(names)
        try:
            results = pipe.execute()
        except redis.RedisError as e:
            raise FeatureStoreUnavailable(f"online feature store: {type(e).__name__}: {e}") from e
        return [self._result(names, values) for names, values in zip(calls, results, strict=True)]

    def clear(self) -> int:
        """Delete this prefix's keys (tests and local resets only)."""
        removed = 0
        for key in self._redis.scan_iter(match=f"{self._prefix}:*", count=1000):
            removed += self._redis.delete(key)
        return removed
