"""The synthetic generator: seeded, 1-3 % fraud, every pattern present, time-ordered, no card numbers."""

import pandas as pd
import pytest

from smartpay_fraud.domain.synthetic import PATTERNS, GeneratorConfig, generate
from smartpay_fraud.domain.transactions import looks_like_card_number


def test_same_seed_same_data_and_another_seed_differs(small_frame):
    again = generate(GeneratorConfig(customers=600, days=20, seed=5, compromised_terminals=0))  # conftest.SMALL
    pd.testing.assert_frame_equal(small_frame, again)
    with_terminals = generate(GeneratorConfig(customers=600, days=20, seed=5))
    assert (with_terminals["fraud_pattern"] == "compromised_terminal").sum() > 0
    same = with_terminals["fraud_pattern"] != "compromised_terminal"  # the scenario only relabels payments
    assert with_terminals[same].drop(columns="label_known_at").equals(small_frame[same].drop(columns="label_known_at"))
    other = generate(GeneratorConfig(customers=600, days=20, seed=6))
    assert not small_frame["amount"].head(200).equals(other["amount"].head(200))


@pytest.mark.parametrize("cfg", [GeneratorConfig(customers=600, days=20, seed=5),
                                 GeneratorConfig(customers=1500, days=25, seed=11)])
def test_fraud_rate_between_one_and_three_percent_with_every_pattern(cfg):
    df = generate(cfg)
    assert 0.01 <= df["is_fraud"].mean() <= 0.03
    assert set(df.loc[df.is_fraud == 1, "fraud_pattern"]) == set(PATTERNS)
    assert (df.loc[df.is_fraud == 0, "fraud_pattern"] == "").all()


def test_time_ordered_unique_ids_and_schema(small_frame):
    assert small_frame["timestamp"].is_monotonic_increasing
    assert small_frame["transaction_id"].is_unique
    assert str(small_frame["timestamp"].dtype) == "datetime64[ms, UTC]"
    assert list(small_frame.columns[:2]) == ["transaction_id", "timestamp"]
    assert small_frame["amount"].dtype.kind == "i" and (small_frame["amount"] > 0).all()


def test_patterns_look_like_their_description(small_frame):
    df = small_frame
    testing = df[df.fraud_pattern == "card_testing"]
    assert testing["amount"].max() < 300  # small probing amounts
    per_card = testing.groupby("card_id")["timestamp"].agg(lambda t: (t.max() - t.min()).total_seconds())
    assert (per_card < 2 * 3600).all()  # bursts, not spread out
    ring = df[df.fraud_pattern == "fraud_ring"]
    assert ring.groupby("device_id")["card_id"].nunique().max() >= 3  # devices shared by many cards


def test_ids_are_tokens_never_card_numbers(small_frame):
    assert not any(looks_like_card_number(v) for v in small_frame["card_id"].unique())
