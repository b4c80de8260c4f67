"""One decision rule, scalar and vectorised, and what counts as an entity."""

import math

import numpy as np

from smartpay_fraud.domain.decision import Thresholds
from smartpay_fraud.domain.transactions import Transaction


def test_decide_many_is_decide_per_score_at_the_boundaries():
    thr = Thresholds(0.3, 0.8)
    scores = [0.0, 0.2999, 0.3, 0.5, 0.7999, 0.8, 1.0, math.nan]
    assert thr.decide_many(np.array(scores)) == [thr.decide(s) for s in scores]
    assert thr.decide_many(scores) == ["approve", "approve", "review", "review", "review", "decline", "decline",
                                       "approve"]
    assert thr.decide_many(np.array([])) == []


def test_the_model_bundle_decides_with_the_thresholds_rule(trained, monkeypatch):
    bundle = trained.bundle
    calls = []
    real = Thresholds.decide_many

    def spy(self, scores):
        calls.append(len(scores))
        return real(self, scores)

    monkeypatch.setattr(Thresholds, "decide_many", spy)
    out = bundle.assess([{"features": {}}, {"features": {}}], reasons=0)
    assert calls == [2] and [a.decision for a in out] == bundle.thresholds.decide_many([a.score for a in out])


def test_empty_or_blank_ids_are_no_entity():
    txn = Transaction("m1:p1", 0, 100, "EUR", "m1", "card_1", customer_id=" ", device_id="", ip_address="",
                      country="", merchant_category="")
    assert (txn.customer_id, txn.device_id, txn.ip_address, txn.country, txn.merchant_category) == (None,) * 5
    assert Transaction("m1:p2", 0, 100, "EUR", "m1", "card_1", device_id="dev_1").device_id == "dev_1"


def test_an_empty_merchant_is_refused():
    import pytest

    from smartpay_fraud.domain.errors import InvalidTransaction
    from smartpay_fraud.domain.transactions import validate

    with pytest.raises(InvalidTransaction, match="merchant_id"):
        validate(Transaction("x", 0, 100, "EUR", " ", "card_1"))
