"""The online batch path on the real Redis: a batch is sent chunk by chunk (each script call sent as soon as it is
built) and an in-process model assesses each chunk as Redis answers it. Checked: the result is the one a payment-
by-payment replay gives (order, offsets and chunk boundaries included), a script Redis lost is reloaded without
counting anything twice, an error reply fails the batch loudly and leaves the connection usable."""

import numpy as np
import pytest

from smartpay_fraud.adapters.feature_script import compile_set
from smartpay_fraud.adapters.redis_store import CHUNK
from smartpay_fraud.domain.errors import FeatureStoreUnavailable
from smartpay_fraud.domain.features import FULL
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.service_layer.scoring import ScoringService

from .test_feature_parity_redis import transactions

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stream(small_dataset):
    return transactions(small_dataset.frame.iloc[:2 * CHUNK + 37].reset_index(drop=True))  # 3 chunks, the last short


def test_a_batch_assessed_chunk_by_chunk_equals_payment_by_payment(stream, new_store, trained):
    batch = ScoringService(new_store(), trained.bundle, reasons=3).score_many(stream)
    single = ScoringService(new_store(), trained.bundle, reasons=3)
    one_by_one = [single.score(t) for t in stream]
    assert len(batch) == len(stream)
    assert [(a.score, a.decision, a.reasons) for a in batch] == [(a.score, a.decision, a.reasons) for a in one_by_one]
    assert len({a.score for a in batch}) > 10  # not one constant score


def test_chunks_come_in_order_with_their_offsets(stream, new_store):
    store = new_store()
    parts = list(store.record_and_read_chunks(stream, FULL))
    assert [(start, len(rows)) for start, rows in parts] == [(0, CHUNK), (CHUNK, CHUNK), (2 * CHUNK, 37)]
    again = new_store().record_and_read_batch(stream, FULL)
    assert np.array_equal(np.vstack([rows for _, rows in parts]), again, equal_nan=True)


def test_a_script_redis_lost_is_reloaded_and_nothing_is_counted_twice(stream, redis_store):
    first = redis_store.record_and_read_batch(stream[:CHUNK], FULL)
    redis_store._redis.script_flush()  # a restart or a failover loses the script cache
    again = redis_store.record_and_read_batch(stream[:CHUNK], FULL)  # a redelivery: read back, not counted
    assert np.array_equal(first, again, equal_nan=True)
    last = stream[CHUNK - 1]
    probe = Transaction("probe-after-flush", last.timestamp_ms + 1, 100, "EUR", last.merchant_id, last.card_id)
    bucket = 5 * 60_000  # card_count_1h: the probe's 5-minute bucket and the 11 before it
    expected = sum(1 for t in stream[:CHUNK] if t.card_id == last.card_id
                   and t.timestamp_ms // bucket > probe.timestamp_ms // bucket - 12)
    assert redis_store.record_and_read(probe, FULL)["card_count_1h"] == expected + 1


def test_an_error_reply_fails_the_batch_and_the_connection_stays_usable(stream, redis_store):
    redis_store.record_and_read_batch(stream[:1], FULL)
    card_key = next(k for k in redis_store._redis.scan_iter(match=f"{redis_store._prefix}:*:card_id:*"))
    redis_store._redis.set(card_key, b"\xc1")  # not MessagePack: the script fails on this payment's chunk
    with pytest.raises(FeatureStoreUnavailable):
        redis_store.record_and_read_batch(stream[:2 * CHUNK], FULL)
    redis_store._redis.delete(card_key)
    assert redis_store._redis.ping()
    rows = redis_store.record_and_read_batch(stream[2 * CHUNK:], FULL)  # the next batch is served
    assert rows.shape == (37, len(FULL.velocity))


def test_a_consumer_stopping_early_leaves_no_connection_out_of_step(stream, redis_store, new_store):
    chunks = redis_store.record_and_read_chunks(stream, FULL)
    next(chunks)
    chunks.close()  # the other chunks' replies were never read: that connection is dropped, not reused
    assert redis_store._redis.ping() is True  # an out-of-step connection would read a stale script reply here
    rows = redis_store.record_and_read_batch(stream, FULL)  # the chunks sent before the close were recorded
    assert np.array_equal(rows, new_store().record_and_read_batch(stream, FULL), equal_nan=True)


# A marker as the previous release wrote it: the values as a MessagePack array under the feature set's `f<hash>`
# field (this release writes them as packed doubles under `v<hash>`): rewritten in place from a current marker.
_TO_PREVIOUS_MARKER = """
local seen = cmsgpack.unpack(redis.call('GET', KEYS[1]))
local packed = seen[ARGV[2]]
local values = {struct.unpack('<' .. string.rep('d', #packed / 8), packed)}
values[#values] = nil  -- struct.unpack's last result is the next position
seen[ARGV[2]] = nil
seen[ARGV[1]] = values
redis.call('SET', KEYS[1], cmsgpack.pack(seen), 'KEEPTTL')
return #values
"""


def test_markers_of_the_previous_layout_are_read_back_and_count_nothing(stream, redis_store, new_store):
    """A Redis the previous release wrote holds markers with the values as an array: a redelivery of such a payment
    reads the very same values and counts nothing; a label still finds the payment (its L field is unchanged)."""
    from smartpay_fraud.adapters.feature_script import compile_set
    from smartpay_fraud.domain.features import MEMBER_FIELDS, feature_set

    LABELLED = feature_set(set(MEMBER_FIELDS) | {"customer_id", "is_fraud"})  # with the label-delayed windows

    first = redis_store.record_and_read_batch(stream[:CHUNK], LABELLED)
    compiled = compile_set(LABELLED)
    for txn in stream[:CHUNK]:
        n = redis_store._redis.eval(_TO_PREVIOUS_MARKER, 1, redis_store.marker_key(txn), compiled.plan_id,
                                    compiled.packed_id)
        assert n == len(LABELLED.velocity)
    again = redis_store.record_and_read_batch(stream[:CHUNK], LABELLED)  # redeliveries, old-layout markers
    assert np.array_equal(first, again, equal_nan=True)
    rest = redis_store.record_and_read_batch(stream[CHUNK:], LABELLED)
    fresh = new_store()  # nothing counted twice: the rest of the stream reads what a store without redeliveries reads
    fresh.record_and_read_batch(stream[:CHUNK], LABELLED)
    assert np.array_equal(rest, fresh.record_and_read_batch(stream[CHUNK:], LABELLED), equal_nan=True)
    txn = stream[0]
    assert redis_store.record_labels([(txn.merchant_id, txn.transaction_id, txn.timestamp_ms + 1)]) == ["counted"]


_TO_BROKEN_MARKER = """
local seen = cmsgpack.unpack(redis.call('GET', KEYS[1]))
local kind = ARGV[3]
if kind == 'packed_short' then  -- this release's field, a string of the wrong length
  seen[ARGV[2]] = string.sub(seen[ARGV[2]], 1, 16)
else  -- the previous release's field (the packed one gone)
  seen[ARGV[2]] = nil
  local bad = {short = {1, 2}, bytes = 'xyz', map = {n = 3}, hole = {1, 2, 3}}
  if kind == 'hole' then bad.hole[2] = false end  -- a value that is not a number inside the array
  seen[ARGV[1]] = bad[kind]
end
redis.call('SET', KEYS[1], cmsgpack.pack(seen), 'KEEPTTL')
return 1
"""


@pytest.mark.parametrize("broken", ["short", "bytes", "map", "hole", "packed_short"])
def test_a_marker_whose_values_cannot_be_read_is_read_again_and_counts_nothing(stream, redis_store, new_store,
                                                                                broken):
    """A marker with too few values (an array cut short, a string of the wrong length, a map): the script reads the
    payment's values again instead of failing the whole batch (unpack of a short array gave nil to struct.pack), and
    counts nothing twice."""
    first = redis_store.record_and_read_batch(stream[:CHUNK], FULL)
    compiled = compile_set(FULL)
    for txn in stream[:CHUNK]:
        redis_store._redis.eval(_TO_BROKEN_MARKER, 1, redis_store.marker_key(txn), compiled.plan_id,
                                compiled.packed_id, broken)
    # redeliveries: the batch is served (the values read now, which may count the chunk's later payments in a
    # shared bucket: the marker that kept the first reading is gone), and nothing is counted again
    again = redis_store.record_and_read_batch(stream[:CHUNK], FULL)
    assert again.shape == first.shape and not np.isnan(again).all()
    rest = redis_store.record_and_read_batch(stream[CHUNK:], FULL)
    fresh = new_store()
    fresh.record_and_read_batch(stream[:CHUNK], FULL)
    assert np.array_equal(rest, fresh.record_and_read_batch(stream[CHUNK:], FULL), equal_nan=True)
