"""One comparison of offer policies on a response model, end to end: log choices of the uniform policy on one
cohort and learn from them (VW and the best single offer), then judge learned vs uniform vs best single offer
(a) offline by OPE on a second, held-out uniform log and (b) on-policy on a third, fresh cohort. Every cohort
is drawn by the response model; a policy sees only each customer's features. The truth (each policy's exact
expected reward on a cohort, known to the simulator alone) is reported beside both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from smartpay_rewards.offers.catalogue import default_catalogue
from smartpay_rewards.offers.evaluation import OfferOpeSettings, mean_ci, off_policy, policy_matrix, sample_actions
from smartpay_rewards.offers.features import customer_features
from smartpay_rewards.offers.policy import (BestSingleOfferPolicy, Exploration, LoggedOutcome, UniformOfferPolicy,
                                            VowpalOfferPolicy)
from smartpay_rewards.offers.simulator import RESPONSE_MODELS, Cohort

LEARNED, GREEDY, UNIFORM, BEST_SINGLE, ORACLE = "learned", "learned_greedy", "uniform", "best_single", "oracle"


@dataclass(frozen=True)
class ExperimentSettings:
    train_customers: int = 20_000
    eval_customers: int = 60_000
    sim_customers: int = 20_000
    exploration: str = "epsilon"
    epsilon: float = 0.1
    passes: int = 1
    seed: int = 1
    bootstrap: int = 0

    def __post_init__(self) -> None:
        if min(self.train_customers, self.eval_customers, self.sim_customers) < 50:
            raise ValueError("each cohort needs at least 50 customers")
        if self.passes < 1:
            raise ValueError(f"passes must be >= 1, got {self.passes}")
        Exploration(self.exploration, self.epsilon)  # raises on an unknown algorithm or epsilon out of range


def _features(cohort: Cohort) -> list:
    return [customer_features(h, cohort.now) for h in cohort.histories]


def run(model_name: str, settings: ExperimentSettings = ExperimentSettings(),
        say: Callable[[str], None] = lambda _: None) -> dict:
    if model_name not in RESPONSE_MODELS:
        raise ValueError(f"unknown response model {model_name!r} (one of {sorted(RESPONSE_MODELS)})")
    catalogue = default_catalogue()
    model = RESPONSE_MODELS[model_name](catalogue)
    uniform = UniformOfferPolicy(catalogue)
    seed = settings.seed * 1000

    def logged(n: int, offset: int) -> tuple[Cohort, list, list[LoggedOutcome]]:
        cohort = model.customers(n, seed + offset)
        features = _features(cohort)
        p = policy_matrix(uniform, features)
        actions = sample_actions(p, seed + offset + 1)
        rewards = model.sample_rewards(cohort, actions, seed + offset + 2)
        rows = [LoggedOutcome(f, int(a), float(p[i, a]), float(r))
                for i, (f, a, r) in enumerate(zip(features, actions, rewards))]
        return cohort, features, rows

    say(f"{model_name}: logging {settings.train_customers} uniform choices to learn from")
    _, _, train = logged(settings.train_customers, 10)
    learned = VowpalOfferPolicy(catalogue, Exploration(settings.exploration, settings.epsilon), seed=settings.seed)
    learned.learn_all(train, passes=settings.passes, seed=settings.seed)
    learned.checkpoint_now()
    best = BestSingleOfferPolicy.fit(catalogue, train)

    def candidates(features: list, cohort: Cohort) -> dict[str, np.ndarray]:
        p_learned = policy_matrix(learned, features)
        return {UNIFORM: policy_matrix(uniform, features), LEARNED: p_learned,
                GREEDY: np.eye(len(catalogue))[p_learned.argmax(axis=1)], BEST_SINGLE: policy_matrix(best, features)}

    say(f"{model_name}: off-policy evaluation on {settings.eval_customers} held-out uniform choices")
    eval_cohort, eval_features, eval_rows = logged(settings.eval_customers, 20)
    eval_candidates = candidates(eval_features, eval_cohort)
    ope = off_policy(eval_rows, eval_candidates, UNIFORM, OfferOpeSettings(bootstrap=settings.bootstrap,
                                                                          seed=settings.seed))
    truth = model.expected_rewards(eval_cohort)
    ope["truth"] = {name: float((pi * truth).sum(axis=1).mean()) for name, pi in eval_candidates.items()}
    ope["truth"][ORACLE] = float(truth.max(axis=1).mean())

    say(f"{model_name}: on-policy simulation on {settings.sim_customers} fresh customers")
    sim_cohort = model.customers(settings.sim_customers, seed + 30)
    sim_candidates = candidates(_features(sim_cohort), sim_cohort)
    expected = model.expected_rewards(sim_cohort)
    realised, exact = {}, {}
    for k, (name, pi) in enumerate(sim_candidates.items()):
        actions = sample_actions(pi, seed + 31 + k)
        # one reward seed for every policy: common random numbers, so the paired differences are tighter
        realised[name] = model.sample_rewards(sim_cohort, actions, seed + 40)
        exact[name] = (pi * expected).sum(axis=1)
    simulation = {
        "n": settings.sim_customers,
        "policies": {name: {"realised": mean_ci(realised[name]), "expected": mean_ci(exact[name])}
                     for name in sim_candidates},
        "margins_over_baseline": {name: {"realised": mean_ci(realised[name] - realised[UNIFORM]),
                                         "expected": mean_ci(exact[name] - exact[UNIFORM])}
                                  for name in sim_candidates if name != UNIFORM},
        "oracle_expected": mean_ci(expected.max(axis=1)),
    }
    return {"response_model": model_name, "settings": asdict(settings), "actions": list(catalogue.ids),
            "learned_version": learned.version, "best_single_offer": catalogue.offers[best.action].offer_id,
            "ope": ope, "simulation": simulation}
