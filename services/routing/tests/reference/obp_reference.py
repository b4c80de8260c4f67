"""Runs INSIDE the obp test-only environment (obp_env.sh), never in the service's .venv.

For each of the six files of the Open Bandit Dataset sample that obp ships (behaviour policy random or bts x
campaign all / men / women), evaluates the *other* policy (Bernoulli TS on random-logged data, uniform random on
bts-logged data), as obp's own examples do, and writes:
- <out>/<behaviour>_<campaign>.jsonl.gz: the same rows in SmartPay's OPE log format, the candidate's
  probabilities in the field `candidate` (context: the four user features and the slot position);
- <out>/reference.json: obp's IPS / SNIPS / DR / DR-OS / switch-DR with each of several reward models
  (obp's RegressionModel, 3-fold cross-fitting), its bootstrap intervals, and the ground truth
  (the on-policy mean reward of the evaluated policy's own file, obp's calc_on_policy_policy_value_estimate).

Usage: <obp venv>/bin/python obp_reference.py OUT_DIR [--files random_all,...] [--bootstrap N]"""

from __future__ import annotations

import argparse
import gzip
import json
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from obp.dataset import OpenBanditDataset
from obp.ope import (DirectMethod, DoublyRobust, DoublyRobustWithShrinkage, InverseProbabilityWeighting,
                     OffPolicyEvaluation, RegressionModel, SelfNormalizedInverseProbabilityWeighting,
                     SwitchDoublyRobust)
from obp.policy import BernoulliTS, Random

FILES = [f"{b}_{c}" for b in ("random", "bts") for c in ("all", "men", "women")]
SHRINKAGE, SWITCH_TAU, SEED = 1e4, 100.0, 12345
Q_MODELS = {  # from nearly constant (what the cross-validated ridge of smartpay settles on for clicks) to flexible
    "logistic_C0.001": lambda: LogisticRegression(C=0.001, max_iter=2000),
    "logistic_C0.1": lambda: LogisticRegression(C=0.1, max_iter=2000),
    "logistic_C10": lambda: LogisticRegression(C=10.0, max_iter=2000),
    "random_forest": lambda: RandomForestClassifier(n_estimators=100, min_samples_leaf=10, random_state=SEED,
                                                    n_jobs=1),
}


def candidate_dist(behaviour: str, campaign: str, feedback: dict) -> tuple[np.ndarray, str]:
    n, k, slots = int(feedback["n_rounds"]), int(feedback["n_actions"]), int(feedback["position"].max() + 1)
    if behaviour == "random":
        policy = BernoulliTS(n_actions=k, len_list=slots, is_zozotown_prior=True, campaign=campaign,
                             random_state=SEED)
        return policy.compute_batch_action_dist(n_rounds=n, n_sim=100_000), "bts"
    return Random(n_actions=k, len_list=slots, random_state=SEED).compute_batch_action_dist(n_rounds=n), "random"


def export_log(path: Path, dataset: OpenBanditDataset, feedback: dict, dist: np.ndarray) -> None:
    users = dataset.data.loc[:, dataset.data.columns.str.contains("user_feature")]  # sorted like feedback
    names = [str(a) for a in range(feedback["n_actions"])]
    with gzip.open(path, "wt") as f:
        for i, (features, action, position) in enumerate(zip(users.itertuples(index=False), feedback["action"],
                                                             feedback["position"])):
            context = {col: str(v) for col, v in zip(users.columns, features)}
            context["position"] = str(int(position))
            f.write(json.dumps({"context": context, "actions": names, "action": str(int(action)),
                                "reward": float(feedback["reward"][i]), "propensity": float(feedback["pscore"][i]),
                                "candidate": dist[i, :, position].tolist()}) + "\n")


def one_file(name: str, out: Path, n_bootstrap: int) -> dict:
    behaviour, campaign = name.split("_")
    dataset = OpenBanditDataset(behavior_policy=behaviour, campaign=campaign)
    feedback = dataset.obtain_batch_bandit_feedback()
    dist, evaluated = candidate_dist(behaviour, campaign, feedback)
    export_log(out / f"{name}.jsonl.gz", dataset, feedback, dist)
    truth = OpenBanditDataset.calc_on_policy_policy_value_estimate(behavior_policy=evaluated, campaign=campaign)
    plain = OffPolicyEvaluation(bandit_feedback=feedback, ope_estimators=[
        InverseProbabilityWeighting(), SelfNormalizedInverseProbabilityWeighting()])
    result = {"behaviour": behaviour, "campaign": campaign, "evaluated": evaluated, "n": int(feedback["n_rounds"]),
              "n_actions": int(feedback["n_actions"]), "truth": float(truth),
              "min_propensity": float(feedback["pscore"].min()),
              "estimates": {k: float(v) for k, v in plain.estimate_policy_values(action_dist=dist).items()},
              "intervals": _intervals(plain, dist, None, n_bootstrap), "q_models": {}}
    dr_family = OffPolicyEvaluation(bandit_feedback=feedback, ope_estimators=[
        DirectMethod(), DoublyRobust(), DoublyRobustWithShrinkage(lambda_=SHRINKAGE, estimator_name="dr-os"),
        SwitchDoublyRobust(lambda_=SWITCH_TAU, estimator_name="switch-dr")])
    for q_name, make in Q_MODELS.items():
        started = time.perf_counter()
        model = RegressionModel(n_actions=feedback["n_actions"], len_list=int(feedback["position"].max() + 1),
                                action_context=feedback["action_context"], base_model=make())
        q = model.fit_predict(context=feedback["context"], action=feedback["action"], reward=feedback["reward"],
                              position=feedback["position"], pscore=feedback["pscore"], action_dist=dist,
                              n_folds=3, random_state=SEED)
        values = dr_family.estimate_policy_values(action_dist=dist, estimated_rewards_by_reg_model=q)
        result["q_models"][q_name] = {
            "estimates": {k: float(v) for k, v in values.items()},
            "intervals": _intervals(dr_family, dist, q, n_bootstrap),
            "seconds": round(time.perf_counter() - started, 1)}
    return result


def _intervals(ope: OffPolicyEvaluation, dist, q, n_bootstrap: int) -> dict:
    found = ope.estimate_intervals(action_dist=dist, estimated_rewards_by_reg_model=q, alpha=0.05,
                                   n_bootstrap_samples=n_bootstrap, random_state=SEED)
    return {k: [float(v["95.0% CI (lower)"]), float(v["95.0% CI (upper)"])] for k, v in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", default=",".join(FILES))
    parser.add_argument("--bootstrap", type=int, default=10_000)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    warnings.filterwarnings("ignore")
    import obp
    results = {"obp": obp.__version__, "shrinkage": SHRINKAGE, "switch_tau": SWITCH_TAU, "files": {}}
    for name in args.files.split(","):
        results["files"][name] = one_file(name, args.out, args.bootstrap)
        print(name, "done", flush=True)
    (args.out / "reference.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
