"""The evaluation protocol and the second, independent generator: windows in the right order, cards already
known compromised removed from each test day, the shipped learner and both baselines measured on the same rows,
card precision@k counted per card."""

import numpy as np
import pandas as pd
import pytest

from smartpay_fraud.domain.dataset import normalise
from smartpay_fraud.evaldata.handbook_simulator import SimulatorConfig, simulate
from smartpay_fraud.service_layer import protocol


@pytest.fixture(scope="module")
def handbook():
    return simulate(SimulatorConfig(customers=400, terminals=800, days=35, seed=3))


def test_second_generator_has_its_documented_mechanisms(handbook):
    assert set(handbook.columns) == {"transaction_id", "timestamp", "customer_id", "terminal_id", "amount",
                                     "is_fraud", "label_known_at", "fraud_scenario"}
    fraud = handbook[handbook.is_fraud == 1]
    assert set(fraud.fraud_scenario) == {1, 2, 3} and (handbook[handbook.is_fraud == 0].amount <= 220).all()
    delay = pd.to_datetime(fraud.label_known_at) - pd.to_datetime(fraud.timestamp)
    assert delay.min() >= pd.Timedelta(days=7) and delay.max() <= pd.Timedelta(days=9)
    assert handbook.label_known_at[handbook.is_fraud == 0].isna().all()


def test_card_precision_counts_cards_not_transactions():
    frame = pd.DataFrame({"day": [0, 0, 0, 0], "card": ["a", "a", "a", "b"], "y": [1, 1, 1, 0],
                          "score": [0.9, 0.8, 0.7, 0.6]})
    assert protocol.card_precision_at_k(frame, 2) == 0.5  # card a once (not three transactions), then b


def test_protocol_runs_every_model_on_the_same_rows_without_known_cards(handbook):
    ds = normalise(handbook, "major")
    result = protocol.run(ds, protocol.Protocol(train_days=7, gap_days=7, test_days=7, label_delay_days=7))
    assert set(result["models"]) == set(protocol.MODELS)
    for m in result["models"].values():
        assert 0.5 < m["roc_auc"] <= 1 and 0 < m["average_precision"] <= 1
        assert 0 <= m["card_precision_at_100_per_day"] <= 1
    rows = result["rows"]
    assert 0 < rows["test_after_known_cards_removed"] < rows["test"] and rows["test_frauds"] > 0
    assert result["protocol"]["train_start"] < result["protocol"]["test_start"]


@pytest.fixture(scope="module")
def split(handbook):
    return protocol.prepare(normalise(handbook, "major"),
                            protocol.Protocol(train_days=7, gap_days=7, test_days=7, label_delay_days=7))


def test_missing_fill_override_is_what_the_learner_sees(split):
    """The experiment's 'missing as -1' is the same as handing xgboost a matrix with -1 in the holes, and (the
    data has holes) not the same as the shipped learner's own missing-value handling."""
    from dataclasses import replace

    assert np.isnan(split.x_all[split.train]).any()
    filled = replace(split, x_all=np.nan_to_num(split.x_all, nan=-1.0))
    by_override, _ = protocol.xgboost_scores(split, protocol.Protocol(xgboost_missing_fill=-1.0))
    by_hand, _ = protocol.xgboost_scores(filled, protocol.Protocol())
    shipped, _ = protocol.xgboost_scores(split, protocol.Protocol())
    np.testing.assert_array_equal(by_override, by_hand)
    assert not np.array_equal(by_override, shipped)


def test_learner_overrides_reach_xgboost(split):
    shipped, chosen = protocol.xgboost_scores(split, protocol.Protocol())
    heavy, _ = protocol.xgboost_scores(split, protocol.Protocol(xgboost_min_child_weight=50.0))
    slow, slow_chosen = protocol.xgboost_scores(split, protocol.Protocol(xgboost_learning_rate=0.03,
                                                                         xgboost_rounds_cap=20))
    assert not np.array_equal(shipped, heavy) and not np.array_equal(shipped, slow)
    assert slow_chosen["xgboost_trees"] <= 20 and chosen["xgboost_trees"] >= 1
    used = chosen["booster"].get_score(importance_type="total_gain")
    top = max(used, key=used.get)
    _, hidden = protocol.xgboost_scores(split, protocol.Protocol(xgboost_hide=(top,)))
    assert top not in hidden["booster"].get_score(importance_type="total_gain")
    assert protocol.forest(3, n_estimators=5, class_weight=None)[-1].get_params()["n_estimators"] == 5
