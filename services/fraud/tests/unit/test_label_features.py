"""Label-delayed risk features offline: windows of whole UTC days ending `delay` days before the payment, a fraud
label counted only once known at the payment's own time (no leak from the future), per merchant, terminal, device,
IP and card, each scoped to its merchant; card 30-day count / mean amount and the weekend flag."""

import numpy as np
import pandas as pd
import pytest

from smartpay_fraud.domain import offline_features
from smartpay_fraud.domain.dataset import normalise
from smartpay_fraud.domain.features import DAY, HOUR, feature_set, label_features

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC, a Thursday


def frame(rows):
    df = pd.DataFrame(rows, columns=["transaction_id", "timestamp", "merchant_id", "terminal_id", "card_id",
                                     "amount", "is_fraud", "label_known_at"])
    df["timestamp"] = pd.to_datetime(df["timestamp"], unit="ms", utc=True)
    df["label_known_at"] = pd.to_datetime(df["label_known_at"], unit="ms", utc=True)
    return normalise(df, "minor").frame


def values(df, names, delay=7):
    features = feature_set({"merchant_id", "terminal_id", "card_id", "amount", "is_fraud"}, delay)
    out = offline_features.compute(df, features)
    return out[names]


def test_a_label_counts_only_once_known_at_the_scored_payment():
    df = frame([
        ("a", T0 + HOUR, "m1", "T1", "c1", 100, 1, T0 + 3 * DAY),    # fraud, known on day 3
        ("b", T0 + 2 * HOUR, "m1", "T1", "c2", 100, 0, None),
        ("c", T0 + 3 * HOUR, "m1", "T1", "c3", 100, 1, T0 + 12 * DAY),  # fraud, known only on day 12
        ("d", T0 + 7 * DAY + HOUR, "m1", "T1", "c4", 100, 0, None),  # day 7: the 1-day window is day 0
        ("e", T0 + 7 * DAY + 2 * HOUR, "m2", "T1", "c5", 100, 0, None),  # same terminal id, other merchant
        ("f", T0 + 12 * DAY + HOUR, "m1", "T1", "c6", 100, 0, None),  # day 12: 7-day window = days -1..5
    ])
    names = ["terminal_count_1d_lag7d", "terminal_fraud_count_1d_lag7d", "terminal_fraud_share_1d_lag7d",
             "terminal_fraud_count_7d_lag7d", "merchant_fraud_count_7d_lag7d", "card_fraud_count_30d_lag7d"]
    v = values(df, names).set_index(df["transaction_id"])
    assert v.loc["d"].tolist()[:4] == [3, 1, pytest.approx(1 / 3), 1]  # c (known day 12) not yet
    assert v.loc["e", "terminal_count_1d_lag7d"] == 0  # m2's T1 is another terminal
    assert v.loc["f", "terminal_fraud_count_7d_lag7d"] == 2 and v.loc["f", "merchant_fraud_count_7d_lag7d"] == 2
    assert v.loc["a":"c", "terminal_count_1d_lag7d"].tolist() == [0, 0, 0]  # the current day is never in it
    assert np.isnan(v.loc["a", "terminal_fraud_share_1d_lag7d"])  # no payment in the window: missing, not 0


def test_the_delay_moves_the_window():
    df = frame([("a", T0 + HOUR, "m1", "T1", "c1", 100, 1, T0 + DAY),
                ("b", T0 + 3 * DAY + HOUR, "m1", "T1", "c2", 100, 0, None)])
    assert values(df, ["terminal_fraud_count_1d_lag3d"], delay=3)["terminal_fraud_count_1d_lag3d"].tolist() == [0, 1]
    assert values(df, ["terminal_fraud_count_1d_lag7d"])["terminal_fraud_count_1d_lag7d"].tolist() == [0, 0]
    with pytest.raises(ValueError, match="1 to 14"):
        label_features(30)


def test_no_leak_from_the_future_on_generated_data(small_dataset):
    """Rewrite every label that became known after a cut (flip it, move it): no feature of a payment before the
    cut changes. A feature that read a future label would."""
    df = small_dataset.frame
    features = feature_set(small_dataset.columns)
    before = offline_features.compute(df, features)
    ts = offline_features.timestamps_ms(df)
    cut = int(np.quantile(ts, 0.6))
    known = offline_features.label_known_ms(df)
    future = known > cut
    assert future.sum() > 20 and (known <= cut).sum() > 20  # labels on both sides of the cut
    changed = df.copy()
    rng = np.random.default_rng(0)
    legit_later = np.flatnonzero((df["is_fraud"] == 0).to_numpy() & (ts < cut))[:500]
    changed.loc[future, "is_fraud"] = 0  # future frauds vanish...
    changed.loc[legit_later, "is_fraud"] = 1  # ...and others appear, all known after the cut
    changed.loc[legit_later, "label_known_at"] = pd.Timestamp(cut + 1, unit="ms", tz="UTC") + \
        pd.to_timedelta(rng.integers(0, 5 * DAY, len(legit_later)), unit="ms")
    after = offline_features.compute(changed, features)
    early = ts <= cut
    label_cols = [c for c in before.columns if "_lag" in c]
    assert label_cols and np.array_equal(before[early].to_numpy(), after[early].to_numpy(), equal_nan=True)
    assert not np.array_equal(before[~early][label_cols].to_numpy(), after[~early][label_cols].to_numpy(),
                              equal_nan=True)  # the change is visible once known: the check can fail


def test_fraud_counts_match_a_brute_force_reference(small_dataset):
    df = small_dataset.frame.iloc[:4000].reset_index(drop=True)
    features = feature_set(small_dataset.columns)
    got = offline_features.compute(df, features)
    ts = offline_features.timestamps_ms(df)
    day = ts // DAY
    known = offline_features.label_known_ms(df)
    fraud = df["is_fraud"].to_numpy() == 1
    for column, short in (("terminal_id", "terminal"), ("card_id", "card"), ("device_id", "device")):
        ids = (df["merchant_id"].astype(str) + "|" + df[column].astype(str)).to_numpy()
        for n in (1, 7, 30):
            expect_c, expect_f = np.zeros(len(df)), np.zeros(len(df))
            for i in range(len(df)):
                same = (ids == ids[i]) & (day > day[i] - 7 - n) & (day <= day[i] - 7)
                expect_c[i] = same.sum()
                expect_f[i] = (same & fraud & (known <= ts[i])).sum()
            assert np.array_equal(got[f"{short}_count_{n}d_lag7d"].to_numpy(), expect_c), (short, n)
            assert np.array_equal(got[f"{short}_fraud_count_{n}d_lag7d"].to_numpy(), expect_f), (short, n)
    assert got["terminal_fraud_count_30d_lag7d"].max() > 0


def test_card_30_day_mean_amount_and_weekend_flag():
    df = frame([("a", T0, "m1", "T1", "c1", 100, 0, None),
                ("b", T0 + 2 * DAY, "m1", "T1", "c1", 300, 0, None),  # Saturday
                ("c", T0 + 32 * DAY, "m1", "T1", "c1", 500, 0, None)])  # a Monday 32 days later: a, b out
    v = values(df, ["card_count_30d", "card_mean_amount_30d", "is_weekend"])
    assert v["card_count_30d"].tolist() == [1, 2, 1]
    assert v["card_mean_amount_30d"].tolist() == [100, 200, 500]
    assert v["is_weekend"].tolist() == [0, 1, 0]  # Thursday, Saturday, Monday


def test_serving_refuses_a_model_needing_a_field_it_never_receives():
    from smartpay_fraud.domain.errors import ModelNotAvailable
    from smartpay_fraud.domain.features import check_servable

    check_servable({"version": "v1", "features": ["card_count_1h", "card_fraud_share_7d_lag7d", "is_weekend"]})
    with pytest.raises(ModelNotAvailable, match="needs terminal_id.*batch scoring only"):
        check_servable({"version": "v2", "features": ["card_count_1h", "terminal_fraud_count_7d_lag7d"]})
