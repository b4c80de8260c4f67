"""Offline velocity windows on a hand-made stream whose answers are known."""

import math

import numpy as np
import pandas as pd

from smartpay_fraud.domain import offline_features
from smartpay_fraud.domain.features import HOUR, MINUTE, VELOCITY, feature_set, scoped_key

T0 = 1_767_225_600_000


def stream(rows):
    df = pd.DataFrame(rows, columns=["transaction_id", "timestamp", "card_id", "merchant_id", "device_id", "amount"])
    df["is_fraud"] = 0
    return df


def feature(name):
    return next(f for f in VELOCITY if f.name == name)


def test_counts_sums_and_distinct_in_a_bucketed_window_current_included():
    df = stream([
        ("t1", T0, "c1", "m1", "d1", 100),
        ("t2", T0 + 10 * 60_000, "c1", "m1", "d1", 200),
        ("t3", T0 + 30 * 60_000, "c2", "m1", None, 50),
        ("t4", T0 + HOUR, "c1", "m1", "d2", 300),  # t1 is 12 five-minute buckets back: out
        ("t5", T0 + HOUR + 1, "c1", "m2", "d2", 400),  # the same ids sent by another merchant: its own entities
    ])
    ts = df["timestamp"].to_numpy()
    value = lambda name: offline_features.velocity_feature(df, ts, feature(name)).tolist()  # noqa: E731
    assert value("card_count_1h") == [1, 2, 1, 2, 1]
    assert value("card_sum_1h") == [100, 300, 50, 500, 400]
    assert value("card_distinct_devices_7d") == [1, 1, 0, 2, 1]  # no device on t3: not a device counted
    cards_on_device = value("device_distinct_cards_24h")
    assert cards_on_device[:2] == [1, 1] and math.isnan(cards_on_device[2]) and cards_on_device[3:] == [1, 1]
    assert value("merchant_distinct_cards_1h") == [1, 1, 2, 2, 1]


def test_ids_are_scoped_to_their_merchant_unambiguously():
    """("m1", "x:y") and ("m1:x", "y") are two entities, whatever separator a naive key would have used; and
    no feature counts a card's merchants (a merchant-scoped card has one)."""
    assert scoped_key(("m1", "x:y")) != scoped_key(("m1:x", "y"))
    assert scoped_key(("m1", "x\x1fy")) != scoped_key(("m1\x1fx", "y"))
    df = stream([("a", T0, "x:y", "m1", "d:1", 10), ("b", T0 + 1, "y", "m1:x", "1", 20),
                 ("c", T0 + 2, "x:y", "m1", "d:1", 30)])
    ts = df["timestamp"].to_numpy()
    assert offline_features.velocity_feature(df, ts, feature("card_count_1h")).tolist() == [1, 1, 2]
    assert offline_features.velocity_feature(df, ts, feature("card_device_count_30d")).tolist() == [1, 1, 2]
    assert all(f.key[0] == "merchant_id" for f in VELOCITY)
    assert not any(f.field == "merchant_id" for f in VELOCITY)


def test_window_edges_are_bucket_edges():
    """1 h = the current 5-minute bucket and the 11 before it (UTC-aligned): 55 to 60 minutes of history."""
    df = stream([
        ("a", T0 + 4 * MINUTE, "c1", "m1", "d1", 1),   # bucket b
        ("b", T0 + 5 * MINUTE, "c1", "m1", "d1", 1),   # bucket b + 1
        ("c", T0 + 63 * MINUTE, "c1", "m1", "d1", 1),  # bucket b + 12: "a" is 59 min old but out, "b" in
        ("d", T0 + 65 * MINUTE, "c1", "m1", "d1", 1),  # bucket b + 13: "b" (60 min old) out
    ])
    ts = df["timestamp"].to_numpy()
    assert T0 % (5 * MINUTE) == 0
    assert offline_features.velocity_feature(df, ts, feature("card_count_1h")).tolist() == [1, 2, 2, 2]
    assert feature("card_count_7d").bucket_ms == 6 * HOUR and feature("card_count_7d").buckets == 28


def test_ties_follow_stream_order_and_pairs_count_per_card_and_device():
    df = stream([("a", T0, "c1", "m1", "d1", 10), ("b", T0, "c1", "m1", "d1", 20), ("c", T0, "c1", "m1", "d2", 5)])
    ts = df["timestamp"].to_numpy()
    assert offline_features.velocity_feature(df, ts, feature("card_count_1h")).tolist() == [1, 2, 3]
    assert offline_features.velocity_feature(df, ts, feature("card_device_count_30d")).tolist() == [1, 2, 1]


def test_compute_lists_left_out_features_and_rejects_unordered_streams():
    df = stream([("a", T0, "c1", "m1", "d1", 10), ("b", T0 + 1, "c1", "m1", "d1", 20)]).drop(columns="device_id")
    fs = feature_set(set(df.columns))
    assert "device_count_24h" in fs.left_out and fs.left_out["device_count_24h"] == "needs device_id"
    assert "card_device_is_new" in fs.left_out
    out = offline_features.compute(df, fs)
    assert list(out.columns) == fs.names and out["card_count_1h"].tolist() == [1, 2]
    try:
        offline_features.compute(df.iloc[::-1], fs)
    except ValueError as e:
        assert "ordered" in str(e)
    else:
        raise AssertionError("an unordered stream must be refused")


def test_derived_amount_ratio_uses_the_prior_mean():
    df = stream([("a", T0, "c1", "m1", "d1", 100), ("b", T0 + 1, "c1", "m1", "d1", 100),
                 ("c", T0 + 2, "c1", "m1", "d1", 1000)])
    out = offline_features.compute(df, feature_set(set(df.columns)))
    ratio = out["amount_to_card_mean_7d"].to_numpy()
    assert math.isnan(ratio[0]) and np.allclose(ratio[1:], [1.0, 10.0])
    assert out["card_device_is_new"].tolist() == [1.0, 0.0, 0.0]


def test_empty_or_blank_ids_are_missing_not_a_shared_value():
    df = stream([
        ("t1", T0, "c1", "m1", "", 100),
        ("t2", T0 + 1, "c2", "m2", "", 100),
        ("t3", T0 + 2, "c3", "m3", " ", 100),
        ("t4", T0 + 3, "c3", "m3", "d1", 100),
    ])
    ts = df["timestamp"].to_numpy()
    devices = offline_features.velocity_feature(df, ts, feature("device_count_24h"))
    cards = offline_features.velocity_feature(df, ts, feature("card_distinct_devices_7d"))
    assert np.isnan(devices[:3]).all() and devices[3] == 1
    assert cards.tolist() == [0, 0, 0, 1]  # a blank device is not a device counted
