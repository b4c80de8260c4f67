"""Label feedback online = offline on the real Redis: the stream's payments are scored in order and every fraud
label is recorded at the time it became known (labels interleaved with the payments, as chargebacks arrive); the
label-delayed windows read online must equal the offline ones, which count a label only once known at the scored
payment's time. Also: a label is counted once, a label of an unknown payment is reported, and a merchant cannot
label another merchant's payment."""

import numpy as np
import pandas as pd
import pytest

from smartpay_fraud.domain import offline_features
from smartpay_fraud.domain.features import DAY, feature_set
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.service_layer.scoring import feature_batch

pytestmark = pytest.mark.integration


def transactions(df):
    ts = offline_features.timestamps_ms(df)
    return [Transaction(r.transaction_id, int(t), int(r.amount), r.currency, r.merchant_id, r.card_id, r.customer_id,
                        r.device_id, r.ip_address, r.country, r.merchant_category, r.terminal_id)
            for r, t in zip(df.itertuples(), ts)]


def replay(store, df, features, max_batch=500, early=False):
    """Score in order; before a payment, record every label known by its time (a batch never spans a label).
    `early`: record each label as soon as its payment has been scored instead, days before it is known (as an
    event delivered ahead of the payments it must not reach): the features may not change."""
    txns = transactions(df)
    known = offline_features.label_known_ms(df)
    order = [i for i in np.argsort(known, kind="stable") if df["is_fraud"].iat[i] == 1]
    nxt, parts, batch, outcomes, done = 0, [], [], [], 0

    def label(rows):
        return store.record_labels([(df["merchant_id"].iat[i], df["transaction_id"].iat[i], int(known[i]))
                                    for i in rows])

    def flush():
        nonlocal done
        if batch:
            parts.append(feature_batch(batch, store.record_and_read_batch(batch, features), features).values)
            if early:
                rows = range(done, done + len(batch))
                return_outcomes = label([i for i in rows if df["is_fraud"].iat[i] == 1])
                outcomes.extend(return_outcomes)
            done += len(batch)
            batch.clear()

    for txn in txns:
        due = []
        while not early and nxt < len(order) and known[order[nxt]] <= txn.timestamp_ms:
            due.append(order[nxt])
            nxt += 1
        if due:
            flush()
            outcomes += label(due)
        batch.append(txn)
        if len(batch) >= max_batch:
            flush()
    flush()
    names = feature_batch(txns[:1], np.zeros((1, len(features.velocity))), features).names
    return pd.DataFrame(np.vstack(parts), columns=names)[features.names], outcomes


@pytest.fixture(scope="module")
def labelled_stream(small_dataset):
    df = small_dataset.frame
    ts = offline_features.timestamps_ms(df)
    return df[ts < ts.min() + 13 * DAY].reset_index(drop=True)  # 13 days: lag-7 windows see labelled days


def test_label_delayed_windows_online_equal_offline(labelled_stream, redis_store, small_dataset):
    features = feature_set(small_dataset.columns)
    assert any(f.agg == "fraud" for f in features.velocity)
    offline = offline_features.compute(labelled_stream, features)
    online, outcomes = replay(redis_store, labelled_stream, features)
    mismatch = ~np.isclose(offline.to_numpy(), online.to_numpy(), equal_nan=True, rtol=0, atol=1e-9)
    cols = features.names
    assert mismatch.sum() == 0, {cols[j]: int(mismatch[:, j].sum()) for j in np.unique(np.nonzero(mismatch)[1])}
    assert outcomes and set(outcomes) == {"counted"}
    for name in ("terminal_fraud_count_7d_lag7d", "merchant_fraud_count_30d_lag7d", "terminal_fraud_share_1d_lag7d"):
        assert offline[name].max() > 0, name  # not trivially zero
    assert offline["card_mean_amount_30d"].notna().all() and offline["is_weekend"].max() == 1


def test_labels_recorded_before_they_are_known_do_not_leak_into_earlier_payments(labelled_stream, redis_store,
                                                                                 small_dataset):
    """Every label recorded right after its own payment's batch (days before its known_at): each later payment
    still reads only the labels known by its time, so the online values equal the offline ones."""
    features = feature_set(small_dataset.columns)
    offline = offline_features.compute(labelled_stream, features)
    online, outcomes = replay(redis_store, labelled_stream, features, max_batch=50, early=True)
    mismatch = ~np.isclose(offline.to_numpy(), online.to_numpy(), equal_nan=True, rtol=0, atol=1e-9)
    assert mismatch.sum() == 0, {features.names[j]: int(mismatch[:, j].sum())
                                 for j in np.unique(np.nonzero(mismatch)[1])}
    assert outcomes and set(outcomes) == {"counted"}
    assert offline["merchant_fraud_count_30d_lag7d"].max() > 0


def test_a_label_counts_from_its_known_at_onward_and_the_earliest_time_wins(redis_store):
    features = feature_set({"merchant_id", "terminal_id", "card_id", "amount", "is_fraud"})
    col = [f.name for f in features.velocity].index("terminal_fraud_count_1d_lag7d")
    day0 = 1_767_225_600_000
    redis_store.record_and_read_batch([Transaction("m_a:pay_1", day0 + 3_600_000, 900, "EUR", "m_a", "card_1",
                                                   terminal_id="T1")], features)
    assert redis_store.scored_at("m_a", "m_a:pay_1") == day0 + 3_600_000
    assert redis_store.scored_at("m_b", "m_a:pay_1") is None  # another merchant's payment does not exist for B
    assert redis_store.record_labels([("m_a", "m_a:pay_1", day0)]) == ["known before the payment"]
    known = day0 + 7 * DAY + 100  # the payments of day 7 read day 0 in their 1-day window lagged 7 days
    assert redis_store.record_labels([("m_a", "m_a:pay_1", known)]) == ["counted"]  # recorded before it is known

    def read(i, ts):
        return redis_store.record_and_read_batch(
            [Transaction(f"m_a:later_{i}", ts, 100, "EUR", "m_a", f"c{i}", terminal_id="T1")], features)[0, col]

    assert read(1, day0 + 7 * DAY + 5) == 0  # in the window, but before the label was known
    assert read(2, known - 1) == 0
    assert read(3, known) == 1 and read(4, known + 1) == 1
    assert redis_store.record_labels([("m_a", "m_a:pay_1", known + 1)]) == ["duplicate"]
    assert redis_store.record_labels([("m_a", "m_a:pay_1", day0 + 7 * DAY + 50)]) == ["moved earlier"]
    assert read(5, day0 + 7 * DAY + 49) == 0 and read(6, day0 + 7 * DAY + 50) == 1  # counted once, from then on


def test_a_label_is_counted_once_and_only_for_its_own_merchant(redis_store):
    features = feature_set({"merchant_id", "terminal_id", "card_id", "amount", "is_fraud"})
    day0 = 1_767_225_600_000
    pay = Transaction("m_a:pay_1", day0 + 3_600_000, 900, "EUR", "m_a", "card_1", terminal_id="T1")
    redis_store.record_and_read_batch([pay], features)
    assert redis_store.record_labels([("m_b", "m_a:pay_1", day0 + DAY)]) == ["unknown payment"]  # B cannot label A's
    assert redis_store.record_labels([("m_a", "m_a:pay_1", day0 + DAY)]) == ["counted"]
    assert redis_store.record_labels([("m_a", "m_a:pay_1", day0 + 2 * DAY)]) == ["duplicate"]
    assert redis_store.record_labels([("m_a", "m_a:never", day0 + DAY)]) == ["unknown payment"]
    names = [f.name for f in features.velocity]
    later = redis_store.record_and_read_batch(
        [Transaction("m_a:pay_2", day0 + 7 * DAY + 5, 100, "EUR", "m_a", "card_2", terminal_id="T1"),
         Transaction("m_b:pay_3", day0 + 7 * DAY + 6, 100, "EUR", "m_b", "card_1", terminal_id="T1")], features)
    col = names.index("terminal_fraud_count_1d_lag7d")
    assert later[:, col].tolist() == [1, 0]  # A's terminal saw the fraud once; B's T1 is another terminal


def test_labels_import_cli_counts_labels_and_names_a_bad_row(redis_store, redis_url, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from smartpay_fraud.entrypoints.cli import app

    monkeypatch.setenv("FRAUD_REDIS_URL", redis_url)
    monkeypatch.setenv("FRAUD_REDIS_PREFIX", redis_store._prefix)
    features = feature_set({"merchant_id", "terminal_id", "card_id", "amount", "is_fraud"})
    day0 = 1_767_225_600_000
    redis_store.record_and_read_batch([Transaction(f"m_a:pay_{i}", day0 + i, 100, "EUR", "m_a", f"c{i}",
                                                   terminal_id="T1") for i in range(3)], features)
    path = tmp_path / "labels.csv"
    pd.DataFrame({"merchant_id": ["m_a", "m_a", "m_a", "m_a"], "payment_id": ["pay_0", "pay_1", "pay_2", "pay_9"],
                  "known_at": ["2026-01-05T10:00:00Z"] * 4, "is_fraud": [1, 1, 0, 1]}).to_csv(path, index=False)
    out = CliRunner().invoke(app, ["labels", "import", str(path)])
    assert out.exit_code == 0, out.output
    assert "counted: 2" in out.output and "unknown payment: 1" in out.output
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"merchant_id": ["m_a", "m_a"], "payment_id": ["pay_0", "pay_1"],
                  "known_at": ["2026-01-05T10:00:00Z", "soon"]}).to_csv(bad, index=False)
    out = CliRunner().invoke(app, ["labels", "import", str(bad)])
    assert out.exit_code == 2 and "row 2: known_at 'soon' could not be parsed" in " ".join(out.output.split())
