"""Offline (pandas) = online (Redis) on the same replayed stream; the online update is idempotent per
transaction id, so at-least-once delivery never double counts."""

import numpy as np
import pandas as pd
import pytest

from smartpay_fraud.domain import offline_features
from smartpay_fraud.domain.features import FULL
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.service_layer.scoring import model_input, model_inputs

pytestmark = pytest.mark.integration


def transactions(df):
    ts = offline_features.timestamps_ms(df)
    return [Transaction(r.transaction_id, int(t), int(r.amount), r.currency, r.merchant_id, r.card_id, r.customer_id,
                        r.device_id, r.ip_address, r.country, r.merchant_category)
            for r, t in zip(df.itertuples(), ts)]


def online_frame(store, txns, batch=False):
    """The features exactly as serving hands them to the model: store + the scoring service's inputs."""
    if batch:
        rows = []
        for i in range(0, len(txns), 200):
            rows += store.record_and_read_many(txns[i:i + 200], FULL)
        inputs = model_inputs(txns, rows, FULL)
    else:
        inputs = [model_input(t, store.record_and_read(t, FULL), FULL) for t in txns]
    frame = pd.DataFrame([i["features"] for i in inputs], dtype=np.float64)
    return frame[FULL.names]


@pytest.fixture(scope="module")
def stream(small_dataset):
    return small_dataset.frame.iloc[:2500].reset_index(drop=True)  # ~6 days: every window fills up


@pytest.mark.parametrize("batch", [False, True], ids=["one-by-one", "pipelined"])
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
    expected = sum(1 for t in txns if t.card_id == last.card_id and t.timestamp_ms > probe.timestamp_ms - 3_600_000)
    assert after["card_count_1h"] == expected + 1


def test_cold_start_entities_get_features_not_errors(redis_store):
    new = Transaction("t-new", 1_767_225_600_000, 5000, "EUR", "m_unknown", "card_never_seen", device_id="dev_new")
    values = redis_store.record_and_read(new, FULL)
    assert values["card_count_24h"] == 1 and values["device_distinct_cards_7d"] == 1
    assert np.isnan(values["ip_count_1h"])  # no IP on the request: missing, not zero
