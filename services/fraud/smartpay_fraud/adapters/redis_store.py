"""The online feature store on Redis (the ElastiCache role), bucketed windows (docs/fraud.md, Features).

One key per entity value holds its whole state as MessagePack: per bucket size, bucket -> count and
bucket -> amount sum; per counted counterpart (merchant, device...), counterpart -> last timestamp.
A batch is recorded and read in calls of CHUNK payments, streamed on one connection in one round trip (each call
sent as soon as it is built; not one transaction: Redis is never blocked for long). Each call is one Lua script
compiled for the feature set (feature_script), atomic for its CHUNK payments: every state is read once (MGET),
updated in memory, written once (SET PX); a payment's features are those just after it is recorded, in batch
order, so a batch gives what one-by-one calls give. The replies are handed over chunk by chunk as they arrive
(record_and_read_chunks). A failure part-way can leave the earlier chunks recorded: a retry of the batch then
reads them back from their markers, counting nothing twice.
Tenant-scoped: every key lives under its merchant's prefix (`<prefix>:<scheme>:m<merchant hash>:`) and an entity's
hash covers (merchant, ids...), so ids another merchant sends never reach this merchant's state (features.scope).
Idempotent per transaction id: the first scoring stores the features under `done:<id>`, keyed by the feature
set (models with different sets serve together across a promotion); a redelivery returns them and counts
nothing, and a redelivery scored with another feature set reads that set's windows without recording again."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np
import redis

from smartpay_fraud.adapters.feature_script import compile_set
from smartpay_fraud.domain.errors import FeatureStoreUnavailable
from smartpay_fraud.domain.features import DAY, FEATURE_SCHEME, MAX_WINDOW_MS, FeatureSet, scope, scoped_key
from smartpay_fraud.domain.transactions import Transaction

CHUNK = 100  # payments per script call: Redis runs one script at a time, keep each one short

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


@dataclass(frozen=True)
class _Plan:
    names: list[str]
    entities: tuple[tuple[str, ...], ...]  # entity kinds in slot order
    counterparts: tuple[str, ...]  # fields whose distinct values are counted, in slot order
    source: str
    sha: str
    # per entity slot: its name in keys, and a getter of the ids it is scoped by (the merchant first: features.scope)
    slots: tuple[tuple[str, str, Any], ...]
    counterpart_of: Any  # getter of the counterpart fields, in slot order


def _tuple_of(fields: Sequence[str]):
    """A getter of the fields' values as a tuple (attrgetter returns a bare value for one field)."""
    if len(fields) == 1:
        field = fields[0]
        return lambda txn: (getattr(txn, field),)
    return attrgetter(*fields) if fields else (lambda txn: ())


_CACHE_LIMIT = 100_000  # memoised entity keys and hashes per store: cleared when full (bounded memory)


class RedisFeatureStore:
    def __init__(self, client: redis.Redis, prefix: str = "fraud", ttl_ms: int = MAX_WINDOW_MS + 86_400_000):
        self._redis = client
        self._prefix = prefix
        self._ns = f"{prefix}:{FEATURE_SCHEME}"
        self._ttl = ttl_ms
        self._plans: dict[tuple[str, ...], _Plan] = {}
        self._tenants: dict[str, str] = {}
        self._keys: dict[tuple, str] = {}
        self._hashes: dict[str, str] = {}
        self._label_script = None

    @classmethod
    def from_url(cls, url: str, prefix: str = "fraud") -> RedisFeatureStore:
        return cls(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2), prefix)

    def _plan(self, features: FeatureSet) -> _Plan:
        """The script computing this feature set, compiled once per set (feature_script)."""
        key = tuple(f.name for f in features.velocity)
        if key not in self._plans:
            c = compile_set(features)
            getters = tuple((str(slot), "+".join(entity), _tuple_of(scope(entity)))
                            for slot, entity in enumerate(c.entities, start=1))
            sha = hashlib.sha1(c.source.encode()).hexdigest()
            self._plans[key] = _Plan(c.names, c.entities, c.counterparts, c.source, sha, getters,
                                     _tuple_of(c.counterparts))
        return self._plans[key]

    def _hash(self, value: str) -> str:
        out = self._hashes.get(value)
        if out is None:
            if len(self._hashes) >= _CACHE_LIMIT:
                self._hashes.clear()
            out = self._hashes[value] = _h(value)
        return out

    def _chunk_call(self, plan: _Plan, txns: Sequence[Transaction]) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV of one script call (the layout is documented in feature_script)."""
        known, h, tenant_of = self._keys, self._hash, self._tenant
        index: dict[str, int] = {}
        state_keys: list[str] = []
        kinds: list[str] = []
        numbers: list[int] = []
        counterparts: list[str] = []
        markers = []
        for txn in txns:
            tenant = tenant_of(txn.merchant_id)
            markers.append(f"{tenant}:done:{txn.transaction_id}")  # as marker_key
            numbers.append(txn.timestamp_ms)
            numbers.append(int(txn.amount))
            for slot, name, ids_of in plan.slots:
                ids = ids_of(txn)
                key = known.get((name, ids))
                if key is None:
                    if None in ids:
                        numbers.append(0)
                        continue
                    # Scoped to the merchant twice over: under the merchant's own prefix, and the hashed value is
                    # (merchant, ids...) length-prefixed; B sending A's ids reaches only keys under B's prefix.
                    if len(known) >= _CACHE_LIMIT:
                        known.clear()
                    key = known[(name, ids)] = f"{tenant}:{name}:{_h(scoped_key(ids))}"
                i = index.get(key)
                if i is None:
                    state_keys.append(key)
                    kinds.append(slot)
                    i = index[key] = len(state_keys)
                numbers.append(i)
            for value in plan.counterpart_of(txn):
                counterparts.append(h(value) if value else "")
        # Numbers as little-endian doubles (exact below 2^53: millisecond times, minor units, indices).
        return state_keys + markers, [self._ttl, len(state_keys), len(txns), ",".join(kinds) + ",",
                                      struct.pack(f"<{len(numbers)}d", *numbers),
                                      ",".join(counterparts) + "," if counterparts else ""]

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
        parts = [rows for _, rows in self.record_and_read_chunks(txns, features)]
        return np.concatenate(parts) if parts else np.empty((len(txns), len(features.velocity)))

    def record_and_read_chunks(self, txns: Sequence[Transaction], features: FeatureSet
                               ) -> Iterator[tuple[int, np.ndarray]]:
        """record_and_read_batch chunk by chunk, as Redis answers: (index of the chunk's first payment, its rows).
        The caller can work on a chunk while Redis runs the next ones. Stopping early leaves the chunks already sent
        recorded (as a failure part-way does)."""
        plan = self._plan(features)
        if not txns:
            return
        if not plan.names:  # a model without velocity features: nothing to record or read
            yield 0, np.empty((len(txns), 0))
            return
        for txn in txns:  # every payment has its tenant before anything is sent
            self._tenant(txn.merchant_id)
        chunks = [txns[i:i + CHUNK] for i in range(0, len(txns), CHUNK)]
        width = len(plan.names)
        try:
            for i, reply in enumerate(self._replies(plan, chunks)):
                values = np.frombuffer(reply, dtype="<f8").astype(np.float64)  # feature_script: packed doubles
                if values.size != len(chunks[i]) * width:  # never silently hand a model columns of another set
                    raise FeatureStoreUnavailable(f"online feature store: {values.size} values for "
                                                  f"{len(chunks[i])} payments x {width} features")
                values = values.reshape(len(chunks[i]), width)
                values[values < 0] = np.nan
                yield i * CHUNK, values
        except redis.RedisError as e:
            raise FeatureStoreUnavailable(f"online feature store: {type(e).__name__}: {e}") from e

    def _replies(self, plan: _Plan, chunks: list[Sequence[Transaction]]) -> Iterator[Any]:
        """One EVALSHA per chunk, each sent as soon as it is built, so Redis runs one chunk while this process
        builds the next (a pipeline sends them only once all are built); then the replies, in order, each yielded
        as it arrives. Every reply is read, errors included, so the connection stays in step. A script Redis does
        not hold (a restart, SCRIPT FLUSH) is loaded and the chunks from the first refused one on are sent again
        (any recorded in between read their markers back, counting nothing twice)."""
        done = 0
        for _ in range(3):
            pool = self._redis.connection_pool
            conn = pool.get_connection()
            refused: redis.ResponseError | None = None
            try:
                for chunk in chunks[done:]:
                    keys, args = self._chunk_call(plan, chunk)
                    conn.send_packed_command(conn.pack_command("EVALSHA", plan.sha, len(keys), *keys, *args))
                for _ in range(done, len(chunks)):
                    try:
                        reply = conn.read_response(disable_decoding=True)  # bytes, whatever the client decodes
                    except redis.ResponseError as e:
                        refused = refused or e
                        continue
                    if refused is None:
                        done += 1
                        yield reply
            except BaseException:
                conn.disconnect()  # replies may be left unread: this connection must not serve another call
                raise
            finally:
                pool.release(conn)
            if refused is None:
                return
            if not isinstance(refused, redis.exceptions.NoScriptError):
                raise refused
            self._redis.script_load(plan.source)
        raise redis.ResponseError("the feature script could not be loaded into Redis")

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

