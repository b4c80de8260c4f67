"""The evaluation protocol of the fraud-detection literature (Le Borgne et al., handbook ch. 5): a training
window, a gap as long as the label delay (labels of its payments are not known yet when the model is trained),
then a test week scored as production would: every card whose fraud was already known before the test day
starts is removed from that day (it is blocked, nobody needs a model to find it). Metrics: ROC-AUC, average
precision, card-level precision@100 per day. The shipped model's learner (XGBoost, selected on a time-ordered
validation slice, then refitted on the whole training window) and two plain baselines (logistic regression,
random forest) are trained on the same features and rows, in the same run. Given a generator's ground truth (the
true fraud flag and mechanism per transaction id, fraud_world), the same scores are also measured against it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from smartpay_fraud.domain import offline_features
from smartpay_fraud.domain.dataset import Dataset
from smartpay_fraud.domain.errors import DatasetError
from smartpay_fraud.domain.features import DAY, feature_set
from smartpay_fraud.service_layer.training import (TrainingConfig, _fit, _predict_all, _refit, labels_known_by,
                                                   select_weighting)

MODELS = ("xgboost (shipped learner)", "logistic regression", "random forest")


@dataclass(frozen=True)
class Protocol:
    train_days: int = 14
    gap_days: int = 7  # = the label delay
    test_days: int = 7
    label_delay_days: int = 7
    validation_share: float = 0.25  # the last quarter of the training window selects the number of trees
    top_k: int = 100
    # Experiments only (docs/fraud.md, third generator): None = what the product does (chosen on validation).
    xgboost_trees: int | None = None  # a fixed number of trees for the refit
    xgboost_balanced: bool | None = None  # force class weighting on (True) or off (False)
    xgboost_max_depth: int | None = None  # deeper or shallower trees than TrainingConfig.max_depth
    xgboost_min_child_weight: float | None = None  # the training's is 2
    xgboost_learning_rate: float | None = None  # with xgboost_rounds_cap: more, smaller steps (still early-stopped)
    xgboost_rounds_cap: int | None = None  # the most trees validation may choose (TrainingConfig.rounds)
    xgboost_missing_fill: float | None = None  # a missing feature value given as this number, like the forest's -1
    xgboost_hide: tuple[str, ...] = ()  # features given to xgboost as missing on every row (it cannot split on them)
    xgboost_params: tuple[tuple[str, float], ...] = ()  # any other xgboost parameter, e.g. (("colsample_bynode", .1),)


def card_precision_at_k(frame: pd.DataFrame, k: int) -> float:
    """Per test day, each card's highest score; the share of compromised cards (a fraud that day) among the k
    highest; the mean over days."""
    per_card = frame.groupby(["day", "card"], sort=False).agg(score=("score", "max"), fraud=("y", "max"))
    tops = per_card.sort_values("score", ascending=False).groupby(level="day").head(k)
    return float(tops.groupby(level="day")["fraud"].mean().mean())


def _metrics(y: np.ndarray, s: np.ndarray, frame: pd.DataFrame, k: int) -> dict:
    return {"roc_auc": round(float(roc_auc_score(y, s)), 4),
            "average_precision": round(float(average_precision_score(y, s)), 4),
            f"card_precision_at_{k}_per_day": round(card_precision_at_k(frame.assign(y=y, score=s), k), 4)}


def _against_truth(truth: pd.DataFrame, ids: np.ndarray, y_obs: np.ndarray, scores: dict[str, np.ndarray],
                   frame: pd.DataFrame, k: int) -> dict:
    """The kept test rows scored against the true fraud flag instead of the observed label, and per mechanism:
    ROC-AUC of that mechanism's rows against the truly legitimate rows."""
    t = truth.set_index("transaction_id").reindex(pd.Index(ids, dtype=object))
    if t["true_fraud"].isna().any():
        raise DatasetError("the ground truth does not cover every test transaction")
    y_true = t["true_fraud"].to_numpy(dtype=np.int64)
    mech = t["mechanism"].to_numpy(dtype=object)
    legit = y_true == 0
    out = {"rows": {"true_frauds": int(y_true.sum()), "observed_frauds": int(y_obs.sum()),
                    "true_frauds_unlabelled": int(((y_true == 1) & (y_obs == 0)).sum()),
                    "labelled_but_legit": int(((y_true == 0) & (y_obs == 1)).sum()),
                    "per_mechanism": {m: int((mech == m).sum()) for m in sorted(set(mech[~legit]))}},
           "models": {}}
    for name, s in scores.items():
        per = {m: round(float(roc_auc_score(np.r_[np.ones((mech == m).sum()), np.zeros(legit.sum())],
                                            np.r_[s[mech == m], s[legit]])), 4)
               for m in sorted(set(mech[~legit]))}
        out["models"][name] = {**_metrics(y_true, s, frame, k), "roc_auc_per_mechanism_vs_legit": per}
    return out


@dataclass(frozen=True)
class Split:
    """One protocol run's rows and feature matrix, computed once: every learner below sees the same."""
    x_all: np.ndarray
    y_known: np.ndarray  # the label as known at the test start
    fit: np.ndarray
    valid: np.ndarray
    train: np.ndarray
    keep: np.ndarray  # the test rows left after known-compromised cards are removed
    test: np.ndarray
    y: np.ndarray  # the observed label of the kept test rows
    frame: pd.DataFrame  # day, card, y of the kept test rows
    ids: np.ndarray  # transaction ids of the kept test rows
    names: list[str]
    info: dict


def prepare(dataset: Dataset, p: Protocol = Protocol(), test_start_ms: int | None = None,
            progress: Callable[[str], None] | None = None) -> Split:
    step = progress or (lambda _m: None)
    df = dataset.frame
    ts = offline_features.timestamps_ms(df)
    if test_start_ms is None:  # the last whole test window of the data
        test_start_ms = (int(ts.max()) // DAY + 1 - p.test_days) * DAY
    test_end = test_start_ms + p.test_days * DAY
    train_end = test_start_ms - p.gap_days * DAY
    train_start = train_end - p.train_days * DAY
    if train_start < int(ts.min()):
        raise DatasetError("not enough days for the protocol: need training + gap + test windows")
    step("features (labels used only once known)")
    features = feature_set(dataset.columns, p.label_delay_days)
    x_all = offline_features.compute(df, features).to_numpy(np.float32)
    lab = dataset.labelled
    # Trained at the test start: a label of a training payment counts only if known by then.
    y_known = labels_known_by(df, test_start_ms)["is_fraud"].to_numpy()
    train = lab & (ts >= train_start) & (ts < train_end)
    valid_start = train_end - int(p.train_days * p.validation_share) * DAY
    fit, valid = train & (ts < valid_start), train & (ts >= valid_start)
    test = lab & (ts >= test_start_ms) & (ts < test_end)
    y_true = df["is_fraud"].to_numpy()

    # Known-compromised cards: a fraud of the card known before the test day starts.
    day = ts // DAY
    known_ms = offline_features.label_known_ms(df)
    cards = df["card_id"].to_numpy(dtype=object)
    first_known = pd.Series(known_ms[y_true == 1].astype(np.float64)).groupby(cards[y_true == 1]).min()
    card_known = pd.Series(cards).map(first_known).to_numpy(dtype=np.float64, na_value=np.inf)
    keep = test & ~(card_known < day * DAY)
    y = y_true[keep]
    frame = pd.DataFrame({"day": day[keep], "card": cards[keep], "y": y})
    info = {"protocol": {"train_days": p.train_days, "gap_days": p.gap_days, "test_days": p.test_days,
                         "label_delay_days": p.label_delay_days, "validation_share": p.validation_share,
                         "train_start": str(pd.Timestamp(train_start, unit="ms", tz="UTC")),
                         "test_start": str(pd.Timestamp(test_start_ms, unit="ms", tz="UTC"))}}
    return Split(x_all, y_known, fit, valid, train, keep, test, y, frame,
                 df["transaction_id"].to_numpy(dtype=object)[keep], features.names, info)


def xgboost_scores(s: Split, p: Protocol = Protocol(), seed: int = 7) -> tuple[np.ndarray, dict]:
    """The shipped learner as training.train fits it (weighting and tree count chosen on the validation slice,
    refit on the whole training window), with the experiment overrides of `p` applied."""
    cfg = TrainingConfig(seed=seed)
    if p.xgboost_max_depth is not None:
        cfg = replace(cfg, max_depth=p.xgboost_max_depth)
    if p.xgboost_learning_rate is not None:
        cfg = replace(cfg, learning_rate=p.xgboost_learning_rate)
    if p.xgboost_rounds_cap is not None:
        cfg = replace(cfg, rounds=p.xgboost_rounds_cap)
    extra = {} if p.xgboost_min_child_weight is None else {"min_child_weight": p.xgboost_min_child_weight}
    extra.update(dict(p.xgboost_params))
    x = s.x_all if p.xgboost_missing_fill is None else np.nan_to_num(s.x_all, nan=p.xgboost_missing_fill)
    if p.xgboost_hide:
        x = x.copy()
        x[:, [s.names.index(f) for f in p.xgboost_hide]] = np.nan
    balanced, weighting = select_weighting(cfg, x[s.fit], s.y_known[s.fit], x[s.valid], s.y_known[s.valid],
                                           s.names, extra)
    if p.xgboost_balanced is not None:
        balanced = p.xgboost_balanced
    booster = _fit(cfg, x[s.fit], s.y_known[s.fit], x[s.valid], s.y_known[s.valid], s.names, balanced, extra)
    trees = p.xgboost_trees or booster.best_iteration + 1
    model = _refit(cfg, x[s.train], s.y_known[s.train], s.names, trees, balanced, extra)
    return _predict_all(model, x[s.keep]), {"xgboost_trees": trees, "xgboost_class_weighting":
                                            {"balanced": balanced, "validation_average_precision": weighting},
                                            "booster": model}


def baseline_models(s: Split, seed: int = 7) -> dict:
    lr = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                       LogisticRegression(max_iter=2000, class_weight="balanced"))
    rf = forest(seed)
    return {MODELS[1]: lr.fit(s.x_all[s.train], s.y_known[s.train]),
            MODELS[2]: rf.fit(s.x_all[s.train], s.y_known[s.train])}


def baseline_scores(s: Split, seed: int = 7, models: dict | None = None) -> dict[str, np.ndarray]:
    return {name: m.predict_proba(s.x_all[s.keep])[:, 1] for name, m in (models or baseline_models(s, seed)).items()}


def forest(seed: int = 7, **changes):
    """The random-forest baseline; `changes` (experiments only) override its RandomForestClassifier arguments."""
    args = {"n_estimators": 200, "min_samples_leaf": 5, "class_weight": "balanced_subsample", "n_jobs": 2,
            "random_state": seed, **changes}
    return make_pipeline(SimpleImputer(strategy="constant", fill_value=-1, keep_empty_features=True),
                         RandomForestClassifier(**args))


def measure(s: Split, scores: dict[str, np.ndarray], p: Protocol = Protocol(),
            truth: pd.DataFrame | None = None) -> dict:
    out = {"models": {name: _metrics(s.y, sc, s.frame, p.top_k) for name, sc in scores.items()}}
    if truth is not None:
        out["against_true_fraud"] = _against_truth(truth, s.ids, s.y, scores, s.frame, p.top_k)
    return out


def run(dataset: Dataset, p: Protocol = Protocol(), test_start_ms: int | None = None, seed: int = 7,
        progress: Callable[[str], None] | None = None, truth: pd.DataFrame | None = None) -> dict:
    step = progress or (lambda _m: None)
    s = prepare(dataset, p, test_start_ms, step)
    step("xgboost: select on the validation slice, refit on the training window")
    xs, chosen = xgboost_scores(s, p, seed)
    step("logistic regression, random forest")
    scores = {MODELS[0]: xs, **baseline_scores(s, seed)}
    measured = measure(s, scores, p, truth)
    return {
        **s.info,
        "rows": {"train": int(s.train.sum()), "train_frauds_known": int(s.y_known[s.train].sum()),
                 "test": int(s.test.sum()), "test_after_known_cards_removed": int(s.keep.sum()),
                 "test_frauds": int(s.y.sum()), "test_cards_compromised": int(s.frame[s.frame.y == 1].card.nunique())},
        "xgboost_trees": chosen["xgboost_trees"],
        "xgboost_overrides": {"trees": p.xgboost_trees, "balanced": p.xgboost_balanced,
                              "max_depth": p.xgboost_max_depth, "min_child_weight": p.xgboost_min_child_weight,
                              "learning_rate": p.xgboost_learning_rate, "rounds_cap": p.xgboost_rounds_cap,
                              "missing_fill": p.xgboost_missing_fill, "params": dict(p.xgboost_params),
                              "hidden": list(p.xgboost_hide)},
        "xgboost_class_weighting": chosen["xgboost_class_weighting"],
        "features": len(s.names),
        **measured,
    }
