"""Offline (pandas) = online (Redis) on the same replayed stream, bucketed windows on both sides, one by one
and in batches; the online update is idempotent per transaction id, so at-least-once delivery never double
counts (and a redelivery reads the values of its first scoring)."""

import numpy as np
import pandas as pd
import pytest

from smartpay_fraud.domain import offline_features
from smartpay_fraud.domain.features import FULL, MINUTE
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.service_layer.scoring import feature_batch

pytestmark = pytest.mark.integration


def transactions(df):
    ts = offline_features.timestamps_ms(df)
    return [Transaction(r.transaction_id, int(t), int(r.amount), r.currency, r.merchant_id, r.card_id, r.customer_id,
                        r.device_id, r.ip_address, r.country, r.merchant_category)
            for r, t in zip(df.itertuples(), ts)]


def online_frame(store, txns, batch=1):
    """The features exactly as serving hands them to the model: store + the scoring service's batch."""
    parts = [feature_batch(txns[i:i + batch], store.record_and_read_batch(txns[i:i + batch], FULL), FULL)
             for i in range(0, len(txns), batch)]
    frame = pd.DataFrame(np.vstack([p.values for p in parts]), columns=parts[0].names)
    return frame[FULL.names]


@pytest.fixture(scope="module")
def stream(small_dataset):
    return small_dataset.frame.iloc[:2500].reset_index(drop=True)  # ~6 days: every window fills up


@pytest.mark.parametrize("batch", [1, 200, 1000], ids=["one-by-one", "batch-200", "batch-1000-chunked"])
def test_replaying_the_stream_online_gives_the_offline_values(stream, redis_store, batch):
    offline = offline_features.compute(stream, FULL)
    online = online_frame(redis_store, transactions(stream), batch)
    mismatch = ~np.isclose(offline.to_numpy(), online.to_numpy(), equal_nan=True, rtol=0, atol=1e-9)
    assert mismatch.sum() == 0, {FULL.names[j]: int(mismatch[:, j].sum()) for j in np.unique(np.nonzero(mismatch)[1])}
    assert offline["card_count_7d"].max() > 5 and offline["device_distinct_cards_24h"].max() > 1  # not trivial


def test_duplicates_and_late_replays_do_not_double_count(stream, redis_store):
    txns = transactions(stream)
    first = online_frame(redis_store, txns)
    # Redeliver every 7th transaction (an SQS redelivery or a bus replay) after the whole stream.
    replay_idx = list(range(0, len(txns), 7))
    again = online_frame(redis_store, [txns[i] for i in replay_idx])
    assert np.allclose(first.iloc[replay_idx].to_numpy(), again.to_numpy(), equal_nan=True)
    # ...and a new transaction after the stream counts each earlier one exactly once.
    last = txns[-1]
    probe = Transaction("probe-1", last.timestamp_ms + 1, 100, "EUR", last.merchant_id, last.card_id)
    after = redis_store.record_and_read(probe, FULL)
    bucket = 5 * MINUTE  # card_count_1h: the current 5-minute bucket and the 11 before it
    expected = sum(1 for t in txns if t.card_id == last.card_id
                   and t.timestamp_ms // bucket > probe.timestamp_ms // bucket - 12)
    assert after["card_count_1h"] == expected + 1


def test_a_batch_with_a_repeated_payment_counts_it_once(redis_store):
    base = 1_767_225_600_000
    pay = Transaction("m1:pay_1", base, 500, "EUR", "m1", "card_r", device_id="dev_r")
    other = Transaction("m1:pay_2", base + 1000, 700, "EUR", "m1", "card_r", device_id="dev_r")
    rows = redis_store.record_and_read_batch([pay, other, pay, other], FULL)
    names = [f.name for f in FULL.velocity]
    count, total = rows[:, names.index("card_count_1h")], rows[:, names.index("card_sum_1h")]
    assert count.tolist() == [1, 2, 1, 2] and total.tolist() == [500, 1200, 500, 1200]
    assert np.array_equal(rows[2:], rows[:2], equal_nan=True)  # a repeat reads the values of its first scoring
    later = redis_store.record_and_read(Transaction("m1:pay_3", base + 2000, 1, "EUR", "m1", "card_r"), FULL)
    assert later["card_count_1h"] == 3 and later["card_sum_1h"] == 1201


def test_cold_start_entities_get_features_not_errors(redis_store):
    new = Transaction("t-new", 1_767_225_600_000, 5000, "EUR", "m_unknown", "card_never_seen", device_id="dev_new")
    values = redis_store.record_and_read(new, FULL)
    assert values["card_count_24h"] == 1 and values["device_distinct_cards_7d"] == 1
    assert np.isnan(values["ip_count_1h"])  # no IP on the request: missing, not zero


def test_parity_holds_for_a_pair_without_its_single_entity(stream, redis_store):
    """card+device counts live in the card's state when the card has features of its own; without them the
    pair gets keys of its own. Both layouts give the offline values."""
    from smartpay_fraud.domain.features import FeatureSet, VELOCITY

    wanted = {"card_device_count_30d", "card_country_count_30d", "device_count_24h", "device_distinct_cards_7d"}
    features = FeatureSet(tuple(f for f in VELOCITY if f.name in wanted), (), {})
    offline = offline_features.compute(stream, features).to_numpy()
    txns = transactions(stream)
    online = np.vstack([redis_store.record_and_read_batch(txns[i:i + 500], features) for i in range(0, len(txns), 500)])
    assert np.array_equal(offline, online, equal_nan=True)
    assert np.nanmax(offline[:, 0]) > 3


def _set(*names):
    from smartpay_fraud.domain.features import feature_set_from_names

    return feature_set_from_names(list(names))


def test_a_redelivery_after_a_promotion_reads_its_own_feature_set_and_counts_once(redis_store):
    """Old and new model versions serve together across cold starts: a payment first scored by one feature set
    and redelivered to a model with another gets that set's values (its width), and is not counted again."""
    base = 1_767_225_600_000
    first = Transaction("m1:pay_promo1", base, 500, "EUR", "m1", "card_p", device_id="dev_p")
    wide = redis_store.record_and_read_batch([first], FULL)
    narrow_set = _set("card_count_1h", "card_sum_1h")
    again = redis_store.record_and_read_batch([first], narrow_set)
    assert again.shape == (1, 2) and again.tolist() == [[1, 500]]  # read, not recorded a second time
    assert np.array_equal(redis_store.record_and_read_batch([first], FULL), wide, equal_nan=True)
    assert redis_store.record_and_read_batch([first], narrow_set).tolist() == [[1, 500]]
    later = Transaction("m1:pay_promo2", base + 1000, 1, "EUR", "m1", "card_p")
    assert redis_store.record_and_read_batch([later], narrow_set).tolist() == [[2, 501]]


def test_a_narrower_model_does_not_prune_the_history_a_wider_model_reads(redis_store):
    """device_distinct_cards_24h and _7d share the device's counterpart table: a model with only the 24h
    window records into it too, and must keep what the 7d window of another model still reads."""
    from smartpay_fraud.domain.features import DAY

    base = 1_767_225_600_000
    wide, narrow = _set("device_distinct_cards_24h", "device_distinct_cards_7d"), _set("device_distinct_cards_24h")
    pay = lambda i, day, card: Transaction(f"m1:pay_prune{i}", base + day * DAY, 100, "EUR", "m1", card,  # noqa: E731
                                           device_id="dev_shared")
    redis_store.record_and_read_batch([pay(1, 0, "card_a")], wide)
    assert redis_store.record_and_read_batch([pay(2, 2, "card_b")], narrow).tolist() == [[1]]
    row = redis_store.record_and_read_batch([pay(3, 3, "card_c")], wide)
    assert row.tolist() == [[1, 3]]  # three cards on the device inside 7 days


def test_an_old_layout_marker_means_counted_not_a_crash(redis_store):
    """A marker without per-feature-set values (an earlier layout, e.g. a bare array of 22) still means the
    payment was counted: it is read, not recorded again, and nothing of a wrong width escapes."""
    base = 1_767_225_600_000
    pay = Transaction("m1:pay_legacy", base, 500, "EUR", "m1", "card_l")
    features = _set("card_count_1h", "card_sum_1h")
    redis_store.record_and_read_batch([Transaction("m1:pay_legacy0", base, 200, "EUR", "m1", "card_l")], features)
    legacy = "local t = {} for i = 1, 22 do t[i] = i end redis.call('SET', KEYS[1], cmsgpack.pack(t))"
    redis_store._redis.eval(legacy, 1, redis_store.marker_key(pay))
    assert redis_store.record_and_read_batch([pay], features).tolist() == [[1, 200]]


def test_empty_entity_ids_are_missing_online_and_offline(stream, redis_store):
    """"" for a device or an IP is no device (not one device shared by every such payment), on both paths."""
    raw = stream.copy()
    for col, every in (("device_id", 5), ("ip_address", 7), ("country", 11)):
        raw[col] = raw[col].astype(object)
        raw.loc[raw.index[::every], col] = ""
    offline = offline_features.compute(raw, FULL)
    online = online_frame(redis_store, transactions(raw), 200)
    mismatch = ~np.isclose(offline.to_numpy(), online.to_numpy(), equal_nan=True, rtol=0, atol=1e-9)
    assert mismatch.sum() == 0, {FULL.names[j]: int(mismatch[:, j].sum()) for j in np.unique(np.nonzero(mismatch)[1])}
    blank = raw.index[::5]
    assert offline.loc[blank, "device_count_24h"].isna().all() and online.loc[blank, "device_count_24h"].isna().all()
    base = 1_767_225_600_000
    a = Transaction("m1:pay_e1", base, 100, "EUR", "m1", "card_e1", device_id="", ip_address="")
    b = Transaction("m2:pay_e2", base + 1, 100, "EUR", "m2", "card_e2", device_id="", ip_address=" ")
    rows = redis_store.record_and_read_many([a, b], FULL)
    assert all(np.isnan(r["device_count_24h"]) and np.isnan(r["ip_count_1h"]) for r in rows)
