"""Issue #13 item 2 (cross-merchant fraud poisoning), offline: the training features (offline velocity windows,
graph snapshot) and batch scoring of a data set in which merchant B's rows reuse merchant A's customer, card,
device and IP ids are, for every other merchant's row, exactly those of the data set without B's rows, and B's
own are those of B's rows alone. A control relabels B's rows as A's: then A's values move, so the poison rows
are potent and the isolation assertions can fail."""

import numpy as np
import pandas as pd
import pytest

from smartpay_fraud.domain import offline_features
from smartpay_fraud.domain.dataset import normalise
from smartpay_fraud.domain.features import MINUTE, feature_set
from smartpay_fraud.domain.graph import build_snapshot
from smartpay_fraud.domain.synthetic import GeneratorConfig, generate
from smartpay_fraud.service_layer.batch import score_frame
from smartpay_fraud.service_layer.training import TrainingConfig, train

B = "m_poisoner"


@pytest.fixture(scope="module")
def scenario(small_frame):
    """A's victim payment (of A's busiest customer, mid-stream) and 25 rows of merchant B in the half hour
    before it with the victim's customer, device, IP and country; every other one with the victim's card,
    the rest with 12 other cards; labelled fraud (a chargeback-looking card-testing run)."""
    a = small_frame.merchant_id.value_counts().index[0]
    at_a = small_frame[small_frame.merchant_id == a]
    customer = at_a.customer_id.value_counts().index[0]
    visits = at_a[at_a.customer_id == customer]
    victim = visits.iloc[len(visits) // 2]
    ts = victim.timestamp
    poison = pd.DataFrame([{**victim.to_dict(), "transaction_id": f"poison_{i:02d}", "merchant_id": B,
                            "timestamp": ts - pd.Timedelta(milliseconds=30 * MINUTE - i * MINUTE),
                            "card_id": victim.card_id if i % 2 == 0 else f"card_poison_{i}",
                            "amount": 100 + 7 * i, "is_fraud": 1, "fraud_pattern": "card_testing",
                            "label_known_at": ts - pd.Timedelta(milliseconds=29 * MINUTE - i * MINUTE)}
                           for i in range(25)]).astype(small_frame.dtypes.to_dict())
    return a, victim, poison


def frame(*parts):
    return normalise(pd.concat(parts, ignore_index=True), "minor").frame


def features(df):
    """The velocity + derived features training computes (same call as service_layer.training.train)."""
    return offline_features.compute(df, feature_set(set(df.columns))).set_axis(df.transaction_id.to_numpy())


def graph(df, cutoff):
    """The graph signals of every row, from the labelled past before `cutoff` (as training builds them)."""
    ts = offline_features.timestamps_ms(df)
    return build_snapshot(df[ts < cutoff], cutoff).features(df).set_axis(df.transaction_id.to_numpy())


def test_b_rows_with_a_ids_leave_every_other_row_of_the_training_features_unchanged(small_frame, scenario):
    a, victim, poison = scenario
    clean, poisoned = frame(small_frame), frame(small_frame, poison)
    ids = clean.transaction_id.to_numpy()
    before, after = features(clean), features(poisoned)
    assert len(after) == len(before) + 25
    assert np.array_equal(after.loc[ids].to_numpy(), before.to_numpy(), equal_nan=True)

    # B's own values: those of B's rows alone (none of A's history is counted for B).
    b_ids = poison.transaction_id.to_numpy()
    assert np.array_equal(after.loc[b_ids].to_numpy(), features(frame(poison)).loc[b_ids].to_numpy(), equal_nan=True)
    assert after.loc[b_ids[-1], "device_distinct_cards_7d"] == 13

    # Control: the same rows as A's own traffic are counted for A's victim payment.
    control = features(frame(small_frame, poison.assign(merchant_id=a)))
    moved = control.loc[victim.transaction_id] != before.loc[victim.transaction_id]
    assert {"card_count_1h", "customer_count_24h", "device_distinct_cards_7d", "ip_count_1h"} <= set(moved[moved].index)


def test_b_labels_on_a_ids_leave_a_graph_signals_unchanged(small_frame, scenario):
    a, victim, poison = scenario
    cutoff = int(victim.timestamp.value // 1_000_000)  # the labelled past up to the victim payment
    clean, poisoned = frame(small_frame), frame(small_frame, poison)
    ids = clean.transaction_id.to_numpy()
    before, after = graph(clean, cutoff), graph(poisoned, cutoff)
    assert np.array_equal(after.loc[ids].to_numpy(), before.to_numpy(), equal_nan=True)
    victim_before = before.loc[victim.transaction_id]
    assert victim_before["graph_known_nodes"] == 3  # A's own nodes are found: the lookup is not vacuous

    control = graph(frame(small_frame, poison.assign(merchant_id=a)), cutoff).loc[victim.transaction_id]
    assert control["graph_device_fraud_rate"] > victim_before["graph_device_fraud_rate"]
    assert control["graph_device_cards"] > victim_before["graph_device_cards"]


@pytest.fixture(scope="module")
def shipped_like():
    """A model trained as `smartpay fraud train --quick` does (the session's small model stops after a few trees
    and moves no score of A's, so the control below could not fail)."""
    return train(normalise(generate(GeneratorConfig()), "minor"), TrainingConfig(sage=False)).bundle


def test_batch_scores_of_a_are_unchanged_by_b_rows(small_frame, scenario, shipped_like):
    a, victim, poison = scenario
    clean, poisoned = frame(small_frame), frame(small_frame, poison)
    before = score_frame(shipped_like, clean).set_index("transaction_id")
    after = score_frame(shipped_like, poisoned).set_index("transaction_id")
    assert after.loc[before.index].equals(before)
    control = score_frame(shipped_like, frame(small_frame, poison.assign(merchant_id=a))).set_index("transaction_id")
    moved = control.loc[before.index, "score"] != before["score"]  # the poison is potent as A's own rows
    assert moved.any() and (clean.set_index("transaction_id").merchant_id[moved.index[moved]] == a).all()
