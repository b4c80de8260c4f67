"""Offer policies compared offline from logged choices with the shared OPE estimators (smartpay_shared.ope:
IPS, SNIPS, DR with 95 % intervals, effective sample size and warnings), and on-policy against a response
model. The reward model of DM/DR is the shared cross-fitted ridge on the customer features (VECTOR_NAMES)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from smartpay_rewards.offers.features import VECTOR_NAMES, CustomerFeatures
from smartpay_rewards.offers.policy import LoggedOutcome, OfferPolicy, check_probabilities
from smartpay_shared.ope import Accumulator, CrossFitRidge, EstimatorSettings, diagnose, fold_of, row_terms
from smartpay_shared.ope.estimators import DR, IPS, Z95

REPORTED = ("ips", "snips", "dr")


@dataclass(frozen=True)
class OfferOpeSettings:
    folds: int = 5
    l2: float | None = None  # None: each fold's ridge penalties chosen by nested cross-validation
    bootstrap: int = 0  # Poisson-bootstrap replicates on top of the normal intervals (0: normal only)
    seed: int = 0


def policy_matrix(policy: OfferPolicy, features: Sequence[CustomerFeatures]) -> np.ndarray:
    """The policy's probabilities for every row: (rows, actions)."""
    k = len(policy.catalogue)
    return np.vstack([check_probabilities(policy.probabilities(f), k) for f in features]) if features else \
        np.zeros((0, k))


def _design(rows: Sequence[LoggedOutcome]) -> sparse.csr_matrix:
    x = np.array([r.features.vector() for r in rows])
    return sparse.csr_matrix(np.column_stack([np.ones(len(rows)), x]))


def mean_ci(values: np.ndarray) -> dict:
    """Mean with a normal 95 % interval."""
    n = len(values)
    mean = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else float("nan")
    return {"value": mean, "ci95": [mean - half, mean + half], "n": n}


def off_policy(rows: Sequence[LoggedOutcome], candidates: Mapping[str, np.ndarray], baseline: str,
               settings: OfferOpeSettings = OfferOpeSettings()) -> dict:
    """IPS / SNIPS / DR of every candidate (its probabilities on each logged row), and each candidate's margin
    over `baseline` by IPS and DR as the mean of the paired per-row differences (one log, both policies, so the
    interval of the difference is not the sum of the two intervals)."""
    if baseline not in candidates:
        raise ValueError(f"baseline {baseline!r} is not among the candidates {sorted(candidates)}")
    n = len(rows)
    if n < 2 * settings.folds:
        raise ValueError(f"{n} logged rows are too few for {settings.folds} folds")
    k = len(next(iter(candidates.values()))[0])
    numbers = np.arange(1, n + 1, dtype=np.int64)
    actions = np.array([r.action for r in rows], dtype=np.int64)
    rewards = np.array([r.reward for r in rows])
    propensity = np.array([r.propensity for r in rows])
    phi = _design(rows)
    ridge = CrossFitRidge(phi.shape[1], settings.folds, settings.l2, settings.seed)
    ridge.add(numbers, phi, actions, rewards)
    model = ridge.fit(k)
    q = model.predict(numbers, phi)
    base = model.base[fold_of(numbers, settings.folds, settings.seed)]
    estimator_settings = EstimatorSettings(bootstrap=settings.bootstrap, seed=settings.seed)
    at = np.arange(n)
    out, per_row = {}, {}
    for name, pi in candidates.items():
        if pi.shape != (n, k):
            raise ValueError(f"candidate {name!r} gives {pi.shape} probabilities for {n} rows of {k} actions")
        terms = row_terms(pi[at, actions] / propensity, rewards, q[at, actions], (pi * q).sum(axis=1), base,
                          estimator_settings)
        acc = Accumulator(n, estimator_settings)
        acc.add(terms, propensity)
        logged, estimates = acc.estimates()
        diagnostics, warnings = diagnose(acc, settings.folds)
        out[name] = {"estimates": {e.estimator: e.to_dict() for e in estimates if e.estimator in REPORTED},
                     "effective_sample_size": diagnostics["effective_sample_size"],
                     "mean_weight": diagnostics["mean_weight"], "warnings": warnings}
        per_row[name] = terms
    margins = {}
    for name, terms in per_row.items():
        if name == baseline:
            continue
        margins[name] = {est: mean_ci(terms[:, col] - per_row[baseline][:, col])
                         for est, col in (("ips", IPS), ("dr", DR))}
    return {"n": n, "logged_mean": float(rewards.mean()), "baseline": baseline, "policies": out,
            "margins_over_baseline": margins,
            "q_model": {"features": list(VECTOR_NAMES), "folds": settings.folds,
                        "penalties": [list(p) for p in model.penalties]}}


def sample_actions(probabilities: np.ndarray, seed: int) -> np.ndarray:
    """One action per row drawn from each row's distribution (inverse CDF on seeded uniforms)."""
    u = np.random.default_rng(seed).random(len(probabilities))
    cdf = np.cumsum(probabilities, axis=1)
    return np.minimum((cdf < u[:, None] * cdf[:, -1:]).sum(axis=1), probabilities.shape[1] - 1)
