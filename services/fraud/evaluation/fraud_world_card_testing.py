"""Why the random forest ranks fraud_world's card testing better than the shipped XGBoost (docs/fraud.md, "The
third generator"). One protocol split per seed (features computed once), both baselines fitted once on it, then the
shipped learner as it is and with ONE change each, every variant scored on the same rows as the baselines:

    python evaluation/fraud_world_card_testing.py --seed 7 --forest --cache /tmp/split7.pkl \
        --out evaluation/protocol_fraud_world_card_testing_seed7.json

(~1 min for the features, then ~1-3 min per variant on a loaded 2-core host; `--only 7` / `--forest 2` run single
variants and add them to an existing --out; --cache keeps the feature matrix between runs.)

Besides the metrics it records what the card-testing test rows look like to each learner: the features that
separate them from legitimate rows, how many of their values are missing, how many distinct scores each learner
gives them (ties rank at random against the legitimate mass), and which features each learner uses. Nothing here
changes the product: the overrides are `Protocol.xgboost_*` fields, None in the product."""

from __future__ import annotations

import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

from smartpay_fraud.service_layer import protocol

MECH = "card_testing"
VARIANTS = {
    "shipped": {},
    "missing filled with -1 (as the forest sees it)": {"xgboost_missing_fill": -1.0},
    "min_child_weight 1 instead of 2": {"xgboost_min_child_weight": 1.0},
    "learning rate 0.03, cap 1000 trees (still early-stopped on validation)": {"xgboost_learning_rate": 0.03,
                                                                                "xgboost_rounds_cap": 1000},
    "min_child_weight 0.05 (a leaf may hold ~6 rare-class rows; 2 needs ~250 at a 0.8 % base rate)":
        {"xgboost_min_child_weight": 0.05},
    "colsample_bynode 0.12 (~9 of 74 features per split, like the forest's sqrt)":
        {"xgboost_params": (("colsample_bynode", 0.12),)},
    "class weighting forced on (negatives/positives)": {"xgboost_balanced": True},
    "merchant and terminal label history hidden (the 12 *_fraud_count/share_*_lag7d features)":
        {"xgboost_hide": tuple(f"{e}_fraud_{k}_{w}_lag7d" for e in ("merchant", "terminal")
                               for k in ("count", "share") for w in ("1d", "7d", "30d"))},
}
# The other side: the forest baseline with ONE change each (if its card-testing lead goes, that is where it was).
FOREST_VARIANTS = {
    "forest without class weighting": {"class_weight": None},
    "forest with 31 trees (the shipped xgboost's count on seed 7)": {"n_estimators": 31},
    "forest with every feature at every split (max_features None, bagging only)": {"max_features": None},
    "forest without bootstrap (every tree on all rows)": {"bootstrap": False},
}


def ties(scores: np.ndarray) -> dict:
    """How coarsely a learner ranks rows: distinct scores and the largest group of equal scores."""
    _, counts = np.unique(np.round(scores, 7), return_counts=True)
    return {"rows": int(len(scores)), "distinct_scores": int(len(counts)), "largest_tie": int(counts.max())}


def separating_features(s: protocol.Split, mech: np.ndarray, legit: np.ndarray, top: int = 12) -> list[dict]:
    """Per feature, ROC-AUC of its value (missing as -1, the forest's view) for card-testing rows vs legitimate
    rows (|AUC - 0.5| = how well that one feature separates them), with the share missing in each group."""
    x = s.x_all[s.keep]
    out = []
    for j, name in enumerate(s.names):
        col = x[:, j]
        filled = np.nan_to_num(col, nan=-1.0)
        y = np.r_[np.ones(mech.sum()), np.zeros(legit.sum())]
        auc = float(roc_auc_score(y, np.r_[filled[mech], filled[legit]])) if np.ptp(filled[mech | legit]) else 0.5
        out.append({"feature": name, "auc_card_testing_vs_legit": round(auc, 4),
                    "missing_card_testing": round(float(np.isnan(col[mech]).mean()), 3),
                    "missing_legit": round(float(np.isnan(col[legit]).mean()), 3),
                    "median_card_testing": _median(col[mech]), "median_legit": _median(col[legit])})
    return sorted(out, key=lambda r: -abs(r["auc_card_testing_vs_legit"] - 0.5))[:top]


DETAIL = ("amount_log", "device_count_24h", "device_distinct_cards_24h", "ip_count_1h", "merchant_count_1h",
          "card_count_30d", "merchant_fraud_count_30d_lag7d")


def legit_below(scores: np.ndarray, mech: np.ndarray, legit: np.ndarray) -> list[float]:
    """Per card-testing row, the share of legitimate rows scored below it (ties count half): its own ROC-AUC,
    whose mean over the rows is the mechanism's ROC-AUC."""
    ref = np.sort(scores[legit])
    lo, hi = np.searchsorted(ref, scores[mech], "left"), np.searchsorted(ref, scores[mech], "right")
    return [round(float(v), 4) for v in (lo + hi) / 2 / len(ref)]


def _median(v: np.ndarray) -> float | None:
    v = v[~np.isnan(v)]
    return round(float(np.median(v)), 4) if len(v) else None


def importances(booster: xgb.Booster, rf, names: list[str], top: int = 12) -> dict:
    gain = booster.get_score(importance_type="total_gain")
    total = sum(gain.values()) or 1.0
    forest = dict(zip(names, rf[-1].feature_importances_))
    return {"xgboost_total_gain_share": {k: round(v / total, 4) for k, v in
                                         sorted(gain.items(), key=lambda kv: -kv[1])[:top]},
            "forest_impurity_share": {k: round(float(v), 4) for k, v in
                                      sorted(forest.items(), key=lambda kv: -kv[1])[:top]},
            "used_by_forest_top20_never_split_by_xgboost": [k for k, _ in sorted(forest.items(),
                                                                                  key=lambda kv: -kv[1])[:20]
                                                            if k not in gain]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--only", nargs="*", help="variant indexes to run, added to --out if it exists (default: all)")
    ap.add_argument("--forest", nargs="*", help="forest variant indexes to run (none given: all)")
    ap.add_argument("--cache", type=Path, help="pickle of the split, reused if present (features take minutes)")
    a = ap.parse_args()
    t0 = time.time()
    if a.cache and a.cache.exists():
        split, truth = pickle.loads(a.cache.read_bytes())
    else:
        from smartpay_fraud.entrypoints.cli import _as_users_csv
        from smartpay_fraud.evaldata.fraud_world import generate_with_truth

        raw, truth = generate_with_truth(seed=a.seed)
        split = protocol.prepare(_as_users_csv(raw, "minor"), protocol.Protocol())
        if a.cache:
            a.cache.write_bytes(pickle.dumps((split, truth)))
    print(f"split ready in {time.time() - t0:.0f}s", flush=True)
    t = truth.set_index("transaction_id").reindex(pd.Index(split.ids, dtype=object))
    mech = (t["mechanism"] == MECH).to_numpy()
    legit = (t["true_fraud"] == 0).to_numpy()

    x_keep = split.x_all[split.keep]
    fitted = protocol.baseline_models(split, a.seed)
    baselines = protocol.baseline_scores(split, models=fitted)
    out = {"source": {"fraud_world": {"seed": a.seed, "n_customers": 2000, "days": 63}}, **split.info,
           "card_testing_rows": {"test_kept": int(mech.sum()), "labelled_observed": int(split.y[mech].sum())},
           "separating_features": separating_features(split, mech, legit),
           "baselines_ties_on_card_testing": {k: ties(v[mech]) for k, v in baselines.items()},
           "card_testing_test_rows": {**{f: [round(float(v), 3) for v in x_keep[mech, split.names.index(f)]]
                                         for f in DETAIL},
                                      **{f"legit_below_{k}": legit_below(v, mech, legit)
                                         for k, v in baselines.items()}},
           "variants": {}}
    if a.only and a.out.exists():  # add to the variants already measured on this seed
        prev = json.loads(a.out.read_text())
        out["variants"] = prev["variants"]
        out.update({k: prev[k] for k in ("importances", "forest_variants") if k in prev})
    for i, (name, overrides) in enumerate(VARIANTS.items()):
        if a.only and str(i) not in a.only:
            continue
        t1 = time.time()
        p = protocol.Protocol(**overrides)
        xs, chosen = protocol.xgboost_scores(split, p, a.seed)
        m = protocol.measure(split, {protocol.MODELS[0]: xs, **baselines}, p, truth)
        out["variants"][name] = {
            "overrides": {k: dict(v) if k == "xgboost_params" else list(v) if k == "xgboost_hide" else v
                          for k, v in overrides.items()},
            "xgboost_trees": chosen["xgboost_trees"],
            "xgboost_class_weighting": chosen["xgboost_class_weighting"],
            "models": m["models"],
            "against_true_fraud": m["against_true_fraud"]["models"],
            "roc_auc_without_card_testing_rows": {k: round(float(roc_auc_score(split.y[~mech], v[~mech])), 4)
                                                  for k, v in {protocol.MODELS[0]: xs, **baselines}.items()},
            "xgboost_ties_on_card_testing": ties(xs[mech]),
            "xgboost_legit_below_per_card_testing_row": legit_below(xs, mech, legit),
            "seconds": round(time.time() - t1, 1)}
        if not overrides:
            out["importances"] = importances(chosen["booster"], fitted[protocol.MODELS[2]], split.names)
        ct = {k: v["roc_auc_per_mechanism_vs_legit"].get(MECH) for k, v in m["against_true_fraud"]["models"].items()}
        print(name, json.dumps(m["models"][protocol.MODELS[0]]), "card testing AUC", json.dumps(ct), flush=True)
        a.out.write_text(json.dumps(out, indent=2) + "\n")

    for i, (name, changes) in enumerate(FOREST_VARIANTS.items()):
        if a.forest is None or (a.forest and str(i) not in a.forest):
            continue
        t1 = time.time()
        rf = protocol.forest(a.seed, **changes).fit(split.x_all[split.train], split.y_known[split.train])
        fs = rf.predict_proba(x_keep)[:, 1]
        m = protocol.measure(split, {name: fs}, protocol.Protocol(), truth)
        out.setdefault("forest_variants", {})[name] = {
            "changes": changes, "models": m["models"], "against_true_fraud": m["against_true_fraud"]["models"],
            "legit_below_per_card_testing_row": legit_below(fs, mech, legit), "seconds": round(time.time() - t1, 1)}
        print(name, json.dumps(m["models"][name]), "card testing AUC",
              m["against_true_fraud"]["models"][name]["roc_auc_per_mechanism_vs_legit"].get(MECH), flush=True)
        a.out.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
