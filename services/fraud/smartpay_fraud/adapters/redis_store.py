"""The online feature store on Redis (the ElastiCache role), bucketed windows (docs/fraud.md, Features).

One key per entity value holds its whole state as MessagePack: per bucket size, bucket -> count and
bucket -> amount sum; per counted counterpart (merchant, device...), counterpart -> last timestamp.
A batch is recorded and read in calls of CHUNK payments, pipelined in one round trip (not one transaction:
Redis is never blocked for long). Each call is one Lua script, atomic for its CHUNK payments: every state
is read once (MGET), updated in memory, written once (SET PX); a payment's features are those just after it
is recorded, in batch order, so a batch gives what one-by-one calls give. A failure part-way can leave the
earlier chunks recorded: a retry of the batch then reads them back from their markers, counting nothing twice.
Tenant-scoped: every key lives under its merchant's prefix (`<prefix>:<scheme>:m<merchant hash>:`) and an entity's
hash covers (merchant, ids...), so ids another merchant sends never reach this merchant's state (features.scope).
Idempotent per transaction id: the first scoring stores the features under `done:<id>`, keyed by the feature
set (models with different sets serve together across a promotion); a redelivery returns them and counts
nothing, and a redelivery scored with another feature set reads that set's windows without recording again."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import redis

from smartpay_fraud.domain.errors import FeatureStoreUnavailable
from smartpay_fraud.domain.features import (DAY, FEATURE_SCHEME, MAX_LABEL_DELAY_DAYS, MAX_WINDOW_MS, MEMBER_FIELDS,
                                           VELOCITY, FeatureSet, label_features, scope, scoped_key)
from smartpay_fraud.domain.transactions import Transaction

CHUNK = 100  # payments per script call: Redis runs one script at a time, keep each one short
_AGG = {"count": 0, "sum": 1, "distinct": 2, "fraud": 4}

_SCRIPT = """
-- KEYS: m entity states, then n payment markers (done:<id>). ARGV: ttl_ms, m, n, then one comma-separated
-- string: the m entity kinds, then per payment: ts, amount, E state indices (0 = the payment has no such
-- entity), C counterpart hashes ('' = none). One string, not thousands of arguments: cheaper on both sides.
local E, C = __E__, __C__
-- per entity kind: {{bucket_ms, table, is_sum}...}, {{counterpart slot, table}...}, {table -> what to keep},
-- {{counterpart slot, table, bucket_ms}...}: pair counts (card+device...) kept in the first entity's state
local KINDS = __KINDS__
local FEATS = __FEATS__  -- per feature: {kind slot, agg (3 = pair count), bucket_ms, buckets, table, slot, delay}
local LS = __LSLOTS__  -- entity slots a fraud label is counted on (kept in the marker for record_labels)
local hi = __BUCKETS__  -- bucket size -> the current payment's bucket
local PLAN = __PLAN__  -- this feature set's id: the key of its values in a payment marker
local ttl, m, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local A, na = {}, 0
for v in string.gmatch(ARGV[4], '([^,]*),') do na = na + 1; A[na] = v end
local floor = math.floor
local states, newest = {}, {}
for i = 1, m, 500 do
  local raw = redis.call('MGET', unpack(KEYS, i, math.min(i + 499, m)))
  for j = 1, #raw do states[i + j - 1] = raw[j] and cmsgpack.unpack(raw[j]) or {} end
end
local markers = {}
for i = 1, n, 500 do
  local raw = redis.call('MGET', unpack(KEYS, m + i, m + math.min(i + 499, n)))
  for j = 1, #raw do markers[i + j - 1] = raw[j] end
end
local function known_by(known, ts)  -- how many of the ascending times are <= ts
  local n = #known
  if n == 0 or known[1] > ts then return 0 end
  if known[n] <= ts then return n end
  local a, z = 1, n  -- known[a] <= ts < known[z]
  while z - a > 1 do
    local mid = floor((a + z) / 2)
    if known[mid] <= ts then a = mid else z = mid end
  end
  return a
end
local function tab(s, name)
  local t = s[name]
  if not t then t = {}; s[name] = t end
  return t
end
local stride, first, out, done, no = 2 + E + C, m, {}, {}, 0
local ki = {}
for p = 1, n do
  local at = first + (p - 1) * stride
  local mk = KEYS[m + p]
  -- marker: feature set -> its values (an older marker of another layout still means "already counted")
  local seen = done[mk]
  if not seen and markers[p] then
    seen = cmsgpack.unpack(markers[p])
    if type(seen) ~= 'table' or seen[1] ~= nil then seen = {} end
  end
  local prior = seen and seen[PLAN]
  if prior then
    for i = 1, #prior do no = no + 1; out[no] = prior[i] end
  else
    local ts, amount = tonumber(A[at + 1]), tonumber(A[at + 2])
    for b, _ in pairs(hi) do hi[b] = floor(ts / b) end
    for e = 1, E do
      local i = tonumber(A[at + 2 + e])
      ki[e] = i
      if i > 0 and not seen then
        local s, kind = states[i], KINDS[e]
        if not newest[i] or ts > newest[i] then newest[i] = ts end
        for _, u in ipairs(kind[1]) do
          local t, k = tab(s, u[2]), floor(ts / u[1])
          t[k] = (t[k] or 0) + (u[3] and amount or 1)
        end
        for _, u in ipairs(kind[2]) do
          local v = A[at + 2 + E + u[1]]
          if v ~= '' then local t = tab(s, u[2]); if (t[v] or 0) < ts then t[v] = ts end end
        end
        for _, u in ipairs(kind[4]) do
          local v = A[at + 2 + E + u[1]]
          if v ~= '' then
            local t = tab(tab(s, u[2]), v)
            local k = floor(ts / u[3])
            t[k] = (t[k] or 0) + 1
          end
        end
      end
    end
    local vals = {}
    for i = 1, #FEATS do
      local f = FEATS[i]
      local s = ki[f[1]]
      if s == 0 then
        vals[i] = -1
      else
        local b = f[3]
        local top = hi[b] - f[7]  -- a label-delayed window ends f[7] buckets before the payment's
        local lo = top - f[4]
        local total = 0
        local t = states[s][f[5]]
        if f[2] == 3 then
          local v = A[at + 2 + E + f[6]]
          if v == '' then total = -1 elseif t then t = t[v] else t = nil end
        end
        if t and total == 0 then
          if f[2] == 2 then
            for _, last in pairs(t) do
              local k = floor(last / b)
              if k > lo and k <= top then total = total + 1 end
            end
          elseif f[2] == 4 then  -- labels: bucket -> their known_at times, ascending; those known by ts count
            for k, known in pairs(t) do
              if k > lo and k <= top and type(known) == 'table' then total = total + known_by(known, ts) end
            end
          else
            for k, v in pairs(t) do
              if k > lo and k <= top then total = total + v end
            end
          end
        end
        vals[i] = total
      end
    end
    for i = 1, #vals do no = no + 1; out[no] = vals[i] end
    seen = seen or {}
    seen[PLAN] = vals
    if #LS > 0 and not seen.L then  -- where a later fraud label of this payment is counted: its bucket, its states
      local l = {tonumber(A[at + 1])}
      for _, e in ipairs(LS) do if ki[e] > 0 then l[#l + 1] = KEYS[ki[e]] end end
      seen.L = l
    end
    done[mk] = seen
    redis.call('SET', mk, cmsgpack.pack(seen), 'PX', ttl)
  end
end
-- Write back what changed, without the buckets and counterparts no window can reach any more.
for ki, ts in pairs(newest) do
  local s, keep = states[ki], KINDS[tonumber(A[ki])][3]
  for name, t in pairs(s) do
    local span = keep[name]  -- nil: a table another model's feature set keeps, left as it is
    if not span then
    elseif string.byte(name, 1) == 100 then  -- 'd': counterpart -> last timestamp
      for v, last in pairs(t) do if last <= ts - span then t[v] = nil end end
    elseif string.byte(name, 1) == 112 then  -- 'p<field>b<bucket_ms>': counterpart -> bucket -> count
      local lo = floor(ts / tonumber(string.match(name, 'b(%d+)$'))) - span
      for v, counts in pairs(t) do
        local left = false
        for k in pairs(counts) do if k <= lo then counts[k] = nil else left = true end end
        if not left then t[v] = nil end
      end
    else
      local b = tonumber(string.sub(name, 2))
      local lo = floor(ts / b) - span
      for k in pairs(t) do if k <= lo then t[k] = nil end end
    end
  end
  redis.call('SET', KEYS[ki], cmsgpack.pack(s), 'PX', ttl)
end
return out  -- n x #FEATS integers, payment by payment
"""

# A fraud label (chargeback, fraud report) of a payment scored before: its known_at goes into the `f<day>` bucket of
# the payment's day (bucket -> known_at times, ascending) in each label entity state the payment was counted in
# (merchant, terminal, device, IP, card), read from the payment's marker. A payment scored later counts only the
# labels known by its own time, whenever they were recorded: a label recorded early (an event delivered before a
# delayed payment is scored, a known_at ahead of the clock) never leaks into an earlier payment's features.
# Once per payment: the marker keeps the label's time; a second label of the payment that was known earlier moves
# it to that earlier time (chargeback and fraud report of one payment, in either order, give the same state).
# The states are not in KEYS: they are read from the marker, which a standalone Redis (ElastiCache
# cluster-mode-disabled, as deployed) allows.
_LABEL_SCRIPT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end  -- never scored here (or expired): nothing to count it on
local seen = cmsgpack.unpack(raw)
if type(seen) ~= 'table' or seen[1] ~= nil or not seen.L then return -1 end  -- scored without label entities
local l, ttl, known = seen.L, tonumber(ARGV[1]), tonumber(ARGV[2])
if known < l[1] then return -2 end  -- known before the payment happened: not a label of it
local old = seen.F
if old and old <= known then return 2 end  -- already counted, at this time or earlier
local k = math.floor(l[1] / tonumber(ARGV[3]))
for i = 2, #l do
  local s = redis.call('GET', l[i])
  s = s and cmsgpack.unpack(s) or {}
  local t = s[ARGV[4]]
  if not t then t = {}; s[ARGV[4]] = t end
  local times = t[k] or {}
  if type(times) ~= 'table' then times = {} end
  if old then
    for j = 1, #times do if times[j] == old then table.remove(times, j); break end end
  end
  local at = #times + 1
  while at > 1 and times[at - 1] > known do at = at - 1 end
  table.insert(times, at, known)
  t[k] = times
  redis.call('SET', l[i], cmsgpack.pack(s), 'PX', ttl)
end
seen.F = known
redis.call('SET', KEYS[1], cmsgpack.pack(seen), 'KEEPTTL')
return old and 3 or 1
"""
_SCORED_AT = """
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
local seen = cmsgpack.unpack(raw)
if type(seen) == 'table' and seen[1] == nil and seen.L then return seen.L[1] end
return -1
"""
LABEL_OUTCOMES = {1: "counted", 2: "duplicate", 3: "moved earlier", 0: "unknown payment",
                  -1: "payment scored without label entities", -2: "known before the payment"}


def _h(value: str) -> str:
    # Entity values are hashed: keys and state never carry a raw token, address or number.
    return hashlib.blake2b(value.encode(), digest_size=8).hexdigest()


def _table(f, folded: set[str]) -> str:
    """The state table a feature reads: c<bucket_ms> counts, s<bucket_ms> sums, d<field> counterparts. The
    names do not depend on the feature set, so models with different sets share (and keep) the state."""
    if f.name in folded:  # a pair count kept in its first entity's state: p<second field>b<bucket_ms>
        return f"p{MEMBER_FIELDS.index(f.entity[1])}b{f.bucket_ms}"
    return f"d{MEMBER_FIELDS.index(f.field)}" if f.agg == "distinct" else f"{f.agg[0]}{f.bucket_ms}"  # f: frauds


def _keep_spans(entity: tuple[str, ...]) -> dict[str, int]:
    """Per state table of an entity kind, what to keep: buckets (for counterparts, milliseconds) that any
    window of the whole catalogue still reads, not only this model's. The tables are shared by every feature
    set, so a model with only a 24h window must not prune what another model's 7d window reads."""
    keep: dict[str, int] = {}
    for f in VELOCITY + label_features(MAX_LABEL_DELAY_DAYS):
        if f.entity == entity:  # the entity's own tables
            table = _table(f, set())
        elif len(f.entity) == 2 and f.agg == "count" and f.entity[:1] == entity:  # a pair folded into it
            table = _table(f, {f.name})
        else:
            continue
        span = f.window_ms + f.bucket_ms if f.agg == "distinct" else f.buckets + f.delay_buckets
        keep[table] = max(keep.get(table, 0), span)
    return keep


def _lua(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "{" + ",".join(_lua(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"[{_lua(k)}]={_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value + "'"
    return str(int(value))


@dataclass(frozen=True)
class _Plan:
    names: list[str]
    entities: tuple[tuple[str, ...], ...]  # entity kinds in slot order
    counterparts: tuple[str, ...]  # fields whose distinct values are counted, in slot order
    script: Any


class RedisFeatureStore:
    def __init__(self, client: redis.Redis, prefix: str = "fraud", ttl_ms: int = MAX_WINDOW_MS + 86_400_000):
        self._redis = client
        self._prefix = prefix
        self._ns = f"{prefix}:{FEATURE_SCHEME}"
        self._ttl = ttl_ms
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._tenants: dict[str, str] = {}
        self._label_script = None

    @classmethod
    def from_url(cls, url: str, prefix: str = "fraud") -> RedisFeatureStore:
        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), prefix)

    def _plan(self, features: FeatureSet) -> _Plan:
        """Entity kinds, counterparts and the script computing this feature set (built once per set: the
        specs are compiled into the script, decoding them on every call would cost more than the reads)."""
        key = tuple(f.name for f in features.velocity)
        if key not in self._plans:
            singles = {f.entity for f in features.velocity if len(f.entity) == 1}
            # A pair count (card+device) lives in its first entity's state when that entity has a key anyway.
            folded = {f.name for f in features.velocity
                      if len(f.entity) == 2 and f.agg == "count" and f.entity[:1] in singles}
            entities = tuple(dict.fromkeys(f.entity[:1] if f.name in folded else f.entity for f in features.velocity))
            counterparts = tuple(dict.fromkeys([f.field for f in features.velocity if f.field]
                                               + [f.entity[1] for f in features.velocity if f.name in folded]))
            kinds = []
            for entity in entities:
                own = [f for f in features.velocity if f.entity == entity and f.name not in folded]
                pairs = [f for f in features.velocity if f.name in folded and f.entity[:1] == entity]
                # payments add to counts and sums; fraud tables grow only by labels (record_labels)
                buckets = sorted({(f.bucket_ms, f.agg) for f in own if f.agg not in ("distinct", "fraud")})
                slots = sorted({counterparts.index(f.field) + 1 for f in own if f.field})
                keep = _keep_spans(entity)
                pair_tables = sorted({(counterparts.index(f.entity[1]) + 1, _table(f, folded), f.bucket_ms)
                                      for f in pairs})
                kinds.append([[[b, f"{agg[0]}{b}", agg == "sum"] for b, agg in buckets],
                              [[c, f"d{MEMBER_FIELDS.index(counterparts[c - 1])}"] for c in slots], keep,
                              [list(t) for t in pair_tables]])
            feats = []
            for f in features.velocity:
                if f.name in folded:
                    feats.append([entities.index(f.entity[:1]) + 1, 3, f.bucket_ms, f.buckets,
                                  _table(f, folded), counterparts.index(f.entity[1]) + 1, 0])
                else:
                    feats.append([entities.index(f.entity) + 1, _AGG[f.agg], f.bucket_ms, f.buckets,
                                  _table(f, folded), 0, f.delay_buckets])
            # Label entities: every kind a fraud feature of this set reads (its state gets a label's +1).
            label_slots = sorted({entities.index(f.entity) + 1 for f in features.velocity if f.agg == "fraud"})
            plan_id = "f" + hashlib.blake2b("\n".join(key).encode(), digest_size=8).hexdigest()
            source = (_SCRIPT.replace("__E__", str(len(entities))).replace("__C__", str(len(counterparts)))
                      .replace("__PLAN__", _lua(plan_id)).replace("__LSLOTS__", _lua(label_slots))
                      .replace("__KINDS__", _lua(kinds)).replace("__FEATS__", _lua(feats))
                      .replace("__BUCKETS__", _lua({f.bucket_ms: 0 for f in features.velocity})))
            self._plans[key] = _Plan(list(key), entities, counterparts, self._redis.register_script(source))
        return self._plans[key]

    def _chunk_call(self, plan: _Plan, txns: Sequence[Transaction]) -> tuple[list[str], list[Any]]:
        hashes: dict[str, str] = {}

        def h(value: str) -> str:
            out = hashes.get(value)
            if out is None:
                out = hashes[value] = _h(value)
            return out

        index: dict[str, int] = {}
        state_keys: list[str] = []
        kinds: list[str] = []
        body: list[str] = []
        markers = []
        for txn in txns:
            tenant = self._tenant(txn.merchant_id)
            markers.append(f"{tenant}:done:{txn.transaction_id}")  # as marker_key
            body.append(str(txn.timestamp_ms))
            body.append(str(int(txn.amount)))
            for slot, entity in enumerate(plan.entities, start=1):
                if any(getattr(txn, e) is None for e in entity):
                    body.append("0")
                    continue
                # Scoped to the merchant twice over: under the merchant's own prefix, and the hashed value is
                # (merchant, ids...) length-prefixed; B sending A's ids reaches only keys under B's prefix.
                value = scoped_key([getattr(txn, c) for c in scope(entity)])
                key = f"{tenant}:{'+'.join(entity)}:{h(value)}"
                i = index.get(key)
                if i is None:
                    state_keys.append(key)
                    kinds.append(str(slot))
                    i = index[key] = len(state_keys)
                body.append(str(i))
            for field in plan.counterparts:
                value = getattr(txn, field)
                body.append(h(value) if value else "")
        return state_keys + markers, [self._ttl, len(state_keys), len(txns), ",".join(kinds + body) + ","]

    def _tenant(self, merchant_id: str) -> str:
        """The key prefix of one merchant's state: `<prefix>:<scheme>:m<hash of the merchant id>`. Fixed width,
        derived from the merchant alone (the verified token's, never a body field): no id can reach another
        merchant's prefix."""
        prefix = self._tenants.get(merchant_id)
        if prefix is None:
            if not merchant_id:
                raise ValueError("a payment without a merchant has no tenant to be counted for")
            prefix = self._tenants[merchant_id] = f"{self._ns}:m{_h(scoped_key([merchant_id]))}"
        return prefix

    def marker_key(self, txn: Transaction) -> str:
        """Where a payment's `done` marker lives (under its merchant's prefix)."""
        return f"{self._tenant(txn.merchant_id)}:done:{txn.transaction_id}"

    def record_and_read_batch(self, txns: Sequence[Transaction], features: FeatureSet) -> np.ndarray:
        """Record every payment (once per transaction id) and read its windows, in order: a float matrix
        (one row per payment, one column per velocity feature of `features`, NaN = entity missing)."""
        plan = self._plan(features)
        if not txns or not plan.names:
            return np.empty((len(txns), len(plan.names)))
        pipe = self._redis.pipeline(transaction=False)
        for i in range(0, len(txns), CHUNK):
            keys, args = self._chunk_call(plan, txns[i:i + CHUNK])
            plan.script(keys=keys, args=args, client=pipe)
        try:
            replies = pipe.execute()
        except redis.RedisError as e:
            raise FeatureStoreUnavailable(f"online feature store: {type(e).__name__}: {e}") from e
        values = np.concatenate([np.asarray(r, dtype=np.float64) for r in replies])
        if values.size != len(txns) * len(plan.names):  # never silently hand a model columns of another set
            raise FeatureStoreUnavailable(f"online feature store: {values.size} values for {len(txns)} payments x "
                                          f"{len(plan.names)} features")
        values = values.reshape(len(txns), len(plan.names))
        values[values < 0] = np.nan
        return values

    def record_and_read_many(self, txns: Sequence[Transaction], features: FeatureSet) -> list[dict[str, float]]:
        names = [f.name for f in features.velocity]
        return [dict(zip(names, row.tolist(), strict=True)) for row in self.record_and_read_batch(txns, features)]

    def record_and_read(self, txn: Transaction, features: FeatureSet) -> dict[str, float]:
        return self.record_and_read_many([txn], features)[0]

    def record_labels(self, labels: Sequence[tuple[str, str, int]]) -> list[str]:
        """Count fraud labels (merchant_id, transaction_id, known_at_ms) of payments this store scored: payments
        scored from now on read them in their label-delayed windows if their own time is at or after known_at.
        One outcome per label (LABEL_OUTCOMES): a label of a payment never scored here (or older than the TTL)
        cannot be placed and is reported, never guessed; one known before its payment happened is refused."""
        if self._label_script is None:
            self._label_script = self._redis.register_script(_LABEL_SCRIPT)
        pipe = self._redis.pipeline(transaction=False)
        for merchant, transaction_id, known_at in labels:
            self._label_script(keys=[f"{self._tenant(merchant)}:done:{transaction_id}"],
                               args=[self._ttl, int(known_at), DAY, f"f{DAY}"], client=pipe)
        try:
            replies = pipe.execute()
        except redis.RedisError as e:
            raise FeatureStoreUnavailable(f"online feature store: {type(e).__name__}: {e}") from e
        return [LABEL_OUTCOMES[int(r)] for r in replies]

    def scored_at(self, merchant_id: str, transaction_id: str) -> int | None:
        """When this store scored the merchant's payment (its time in ms), -1 if scored without a recorded time
        (a feature set without label entities), None if never scored here (or expired), or another merchant's."""
        try:
            value = self._redis.eval(_SCORED_AT, 1, f"{self._tenant(merchant_id)}:done:{transaction_id}")
        except redis.RedisError as e:
            raise FeatureStoreUnavailable(f"online feature store: {type(e).__name__}: {e}") from e
        return None if value is None else int(value)

    def clear(self) -> int:
        """Delete this prefix's keys (tests and local resets only)."""
        removed = 0
        for key in self._redis.scan_iter(match=f"{self._prefix}:*", count=1000):
            removed += self._redis.delete(key)
        return removed

