"""The promotion policy and the pointer's stack/history, as pure logic."""

import pytest

from smartpay_fraud.domain.features import FEATURE_SCHEME
from smartpay_fraud.domain.promotion import HISTORY_LIMIT, Pointer, PromotionGuard, refusals, unservable

GOOD = {"roc_auc": 0.99, "pr_auc": 0.90, "recall_at_1pct_fpr": 0.85, "precision_top100_per_day": 0.3}


def meta(version, **metrics):
    return {"version": version, "feature_scheme": FEATURE_SCHEME, "metrics": {**GOOD, **metrics}}


def test_a_good_version_passes_and_each_guard_refuses_with_the_number():
    guard = PromotionGuard()
    assert refusals(meta("a"), None, guard) == []
    assert refusals(meta("a", roc_auc=0.7), None, guard) == ["roc_auc 0.7000 < guard 0.8000"]
    assert refusals(meta("a", pr_auc=0.2), None, guard) == ["pr_auc 0.2000 < guard 0.3000"]
    assert refusals(meta("a", recall_at_1pct_fpr=0.1), None, guard) == ["recall_at_1pct_fpr 0.1000 < guard 0.3000"]
    assert refusals(meta("a", pr_auc=0.2), None, PromotionGuard(min_pr_auc=0.1)) == []  # configurable


def test_missing_metrics_are_refused():
    no_metrics = {"version": "a", "feature_scheme": FEATURE_SCHEME}
    assert refusals(no_metrics, None, PromotionGuard()) == [
        "metrics missing: roc_auc, pr_auc, recall_at_1pct_fpr, precision_top100_per_day"]
    partial = meta("a")
    del partial["metrics"]["pr_auc"]
    assert refusals(partial, None, PromotionGuard()) == ["metrics missing: pr_auc"]


def test_a_drop_against_the_current_version_is_refused_beyond_the_margin():
    current = meta("old", pr_auc=0.90)
    assert refusals(meta("new", pr_auc=0.86), current, PromotionGuard()) == []
    out = refusals(meta("new", pr_auc=0.80), current, PromotionGuard())
    assert len(out) == 1 and "below the current version's 0.9000 (old)" in out[0]
    assert refusals(meta("old", pr_auc=0.90), current, PromotionGuard()) == []  # re-promoting itself


def test_a_current_version_of_another_scheme_is_no_baseline_for_the_pr_auc_drop():
    """The first tenant-scoped model replaces an unscoped one the service can no longer load: its PR-AUC (other
    features, another holdout) does not block the promotion; the absolute guard still applies."""
    current = {**meta("old", pr_auc=0.95), "feature_scheme": "bucketed-v1"}
    assert refusals(meta("new", pr_auc=0.40), current, PromotionGuard()) == []
    assert refusals(meta("new", pr_auc=0.40), meta("old", pr_auc=0.95), PromotionGuard()) != []
    assert "pr_auc 0.2000 < guard" in refusals(meta("new", pr_auc=0.20), current, PromotionGuard())[0]


def test_a_model_of_another_feature_scheme_is_unservable():
    assert unservable(meta("a")) is None
    assert "sliding (unversioned)" in unservable({"version": "a", "metrics": GOOD})


def test_promote_pushes_and_rollback_pops_with_a_log_of_both():
    p = Pointer().promote("a", "t1", "ops", False).promote("b", "t2", "ops", True, "hotfix")
    assert p.version == "b" and p.stack == ["a", "b"]
    assert p.history[-1] == {"action": "promote", "version": "b", "previous": "a", "at": "t2", "by": "ops",
                             "forced": True, "reason": "hotfix"}
    p = p.promote("c", "t3", "ops", False).rollback("t4", "ops")
    assert p.version == "b" and p.history[-1]["previous"] == "c"
    p = p.rollback("t5", "ops")  # twice: back along the promotions, not flip-flopping
    assert p.version == "a" and [h["action"] for h in p.history] == ["promote"] * 3 + ["rollback"] * 2
    with pytest.raises(ValueError, match="nothing to roll back to"):
        p.rollback("t6", "ops")
    assert Pointer.from_json(p.to_json()) == p
    assert p.promote("a", "t7", "ops", False).stack == ["a"]  # promoting the served one: no duplicate


def test_history_is_bounded():
    p = Pointer()
    for i in range(HISTORY_LIMIT + 20):
        p = p.promote(f"v{i}", "t", "ops", False)
    assert len(p.history) == HISTORY_LIMIT and len(p.stack) == HISTORY_LIMIT and p.version == f"v{HISTORY_LIMIT + 19}"
