"""Off-policy evaluation of a candidate routing policy from logged decisions: IPS, self-normalised IPS and
doubly robust, each with a 95% normal confidence interval (SNIPS by the delta method)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959964


@dataclass(frozen=True)
class LoggedDecision:
    context: dict
    actions: tuple[str, ...]
    action: str
    reward: float
    propensity: float

    def __post_init__(self) -> None:
        if self.action not in self.actions:
            raise ValueError(f"logged action {self.action!r} is not among the actions {list(self.actions)}")
        if not 0.0 < self.propensity <= 1.0:
            raise ValueError(f"propensity must be in (0, 1], got {self.propensity}")


@dataclass(frozen=True)
class Estimate:
    estimator: str
    value: float
    ci_low: float
    ci_high: float
    n: int

    def to_dict(self) -> dict:
        return {"estimator": self.estimator, "value": self.value, "ci95": [self.ci_low, self.ci_high], "n": self.n}


TargetPolicy = Callable[[LoggedDecision], Sequence[float]]  # probabilities over record.actions
RewardModel = Callable[[LoggedDecision], Sequence[float]]  # predicted reward of each of record.actions


def _normal(name: str, terms: np.ndarray, value: float | None = None) -> Estimate:
    n = len(terms)
    value = float(terms.mean()) if value is None else value
    half = Z95 * float(terms.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return Estimate(name, value, value - half, value + half, n)


def sample_mean(name: str, values: Sequence[float]) -> Estimate:
    return _normal(name, np.asarray(values, float))


def weights(records: Sequence[LoggedDecision], target: TargetPolicy) -> np.ndarray:
    return np.array([target(r)[r.actions.index(r.action)] / r.propensity for r in records])


def ips(records: Sequence[LoggedDecision], target: TargetPolicy) -> Estimate:
    w = weights(records, target)
    r = np.array([x.reward for x in records])
    return _normal("ips", w * r)


def snips(records: Sequence[LoggedDecision], target: TargetPolicy) -> Estimate:
    w = weights(records, target)
    r = np.array([x.reward for x in records])
    if w.sum() == 0:
        raise ValueError("the candidate policy gives zero probability to every logged action: SNIPS undefined")
    value = float((w * r).sum() / w.sum())
    influence = w * (r - value) / w.mean()  # delta-method terms of the ratio estimator
    return _normal("snips", influence, value)


def doubly_robust(records: Sequence[LoggedDecision], target: TargetPolicy, model: RewardModel) -> Estimate:
    terms = []
    for rec in records:
        pi = np.asarray(target(rec), float)
        q = np.asarray(model(rec), float)
        i = rec.actions.index(rec.action)
        terms.append(float(pi @ q) + pi[i] / rec.propensity * (rec.reward - q[i]))
    return _normal("dr", np.array(terms))


class RidgeRewardModel:
    """q(x, a): a ridge regression on context tokens crossed with the action (for the DR estimator)."""

    def __init__(self, records: Sequence[LoggedDecision], l2: float = 1.0):
        self._index: dict[str, int] = {}
        rows = [self._tokens(r.context, r.action) for r in records]
        for tokens in rows:
            for t, _ in tokens:
                self._index.setdefault(t, len(self._index))
        x = np.zeros((len(rows), len(self._index)))
        for i, tokens in enumerate(rows):
            for t, v in tokens:
                x[i, self._index[t]] = v
        y = np.array([r.reward for r in records])
        self._w = np.linalg.solve(x.T @ x + l2 * np.eye(len(self._index)), x.T @ y)

    @staticmethod
    def _tokens(ctx: dict, action: str) -> list[tuple[str, float]]:
        lamt = math.log10(max(int(ctx.get("amount", 1)), 1))
        base = [("bias", 1.0), ("lamt", lamt), ("risk", float(ctx.get("risk_score", 0.0)))]
        for key in ("method", "currency", "country", "merchant_category"):
            base.append((f"{key}={ctx.get(key)}", 1.0))
        return [(f"{action}|{t}", v) for t, v in base]

    def __call__(self, rec: LoggedDecision) -> list[float]:
        out = []
        for action in rec.actions:
            out.append(sum(self._w[self._index[t]] * v for t, v in self._tokens(rec.context, action)
                           if t in self._index))
        return out


def cross_fitted(records: Sequence[LoggedDecision], folds: int = 2, l2: float = 1.0) -> RewardModel:
    """A reward model where each record is predicted by a ridge fitted on the other folds (no own-data bias)."""
    if len(records) < 2 * folds:
        model = RidgeRewardModel(records, l2)
        return model
    fold_of = {id(r): i % folds for i, r in enumerate(records)}
    models = [RidgeRewardModel([r for r in records if fold_of[id(r)] != k], l2) for k in range(folds)]
    return lambda rec: models[fold_of[id(rec)]](rec) if id(rec) in fold_of else models[0](rec)
