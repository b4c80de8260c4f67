"""Hypotheses on the third generator (docs/fraud.md, "Third generator"), tested one at a time, each in the same
protocol run as both baselines: the shipped learner as it is, then ONE change each. Run from services/fraud:

    python evaluation/fraud_world_variants.py --seed 7 --out evaluation/protocol_fraud_world_variants_seed7.json

Nothing here changes the product: the overrides are `Protocol.xgboost_trees` / `xgboost_balanced` / `xgboost_max_depth`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from smartpay_fraud.entrypoints.cli import _as_users_csv
from smartpay_fraud.evaldata.fraud_world import generate_with_truth
from smartpay_fraud.service_layer import protocol

VARIANTS = {
    "shipped (trees and weighting chosen on the 3-day validation slice)": {},
    "fixed 300 trees (the training cap) instead of the validation's choice": {"xgboost_trees": 300},
    "class weighting forced on (negatives/positives)": {"xgboost_balanced": True},
    "class weighting forced off": {"xgboost_balanced": False},
    "max_depth 10 instead of 5 (deeper trees, nearer the forest's)": {"xgboost_max_depth": 10},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--only", nargs="*", help="variant indexes to run (default: all)")
    a = ap.parse_args()
    raw, truth = generate_with_truth(seed=a.seed)
    dataset = _as_users_csv(raw, "minor")
    out = {"source": {"fraud_world": {"seed": a.seed, "n_customers": 2000, "days": 63}}, "variants": {}}
    if a.out.exists():  # add to the variants already measured with this seed
        out = json.loads(a.out.read_text())
    for i, (name, overrides) in enumerate(VARIANTS.items()):
        if a.only and str(i) not in a.only:
            continue
        t0 = time.time()
        r = protocol.run(dataset, protocol.Protocol(**overrides), seed=a.seed, truth=truth)
        out["variants"][name] = {"xgboost_trees": r["xgboost_trees"], "xgboost_class_weighting":
                                 r["xgboost_class_weighting"], "models": r["models"],
                                 "against_true_fraud": {k: {m: v[m] for m in ("roc_auc", "average_precision",
                                                                               "card_precision_at_100_per_day")}
                                                        for k, v in r["against_true_fraud"]["models"].items()},
                                 "seconds": round(time.time() - t0, 1)}
        print(name, json.dumps(out["variants"][name]["models"][protocol.MODELS[0]]), flush=True)
        a.out.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
