"""Offer policies: each gives a probability for every action of the catalogue, or of the part of it a merchant
allows (`Catalogue.for_category`: "no offer" and the merchant's category's offers), and samples one, logging
the actions offered, the action, its propensity and the policy version for every choice (the record OPE later
reads: the propensities are over the actions actually offered).

- VowpalOfferPolicy: Vowpal Wabbit `--cb_explore_adf`, a contextual bandit learned from logged
  (context, action, propensity, reward); exploration by epsilon-greedy (a floor of epsilon / K on every action)
  or SquareCB.
- UniformOfferPolicy: every action alike (the logging policy the first data comes from, and the baseline).
- BestSingleOfferPolicy: the one action with the best mean reward in the logs, for everyone (the baseline a
  merchant would pick by hand)."""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np
from vowpalwabbit import Workspace

from smartpay_rewards.offers import vw_format
from smartpay_rewards.offers.catalogue import Catalogue, Offer
from smartpay_rewards.offers.features import CustomerFeatures
from smartpay_shared.ids import new_id

PROBABILITY_TOLERANCE = 1e-6


@dataclass(frozen=True)
class OfferDecision:
    """One choice as logged: enough to join its outcome later and to evaluate other policies on it."""

    decision_id: str
    customer_id: str | None
    at: datetime | None
    policy_version: str
    actions: tuple[str, ...]  # the offer ids the choice was made among (the catalogue, or a merchant's part of it)
    action: str
    propensity: float  # the probability the policy gave `action`
    probabilities: tuple[float, ...]  # over `actions`
    context: dict  # CustomerFeatures.as_mapping()

    def to_dict(self) -> dict:
        return {"decision_id": self.decision_id, "customer_id": self.customer_id,
                "at": self.at.isoformat() if self.at else None, "policy_version": self.policy_version,
                "actions": list(self.actions), "action": self.action, "propensity": self.propensity,
                "probabilities": list(self.probabilities), "context": self.context}


@dataclass(frozen=True)
class OfferChoice:
    """What the service shows (`offer`) and logs (`propensity`, the full `decision`)."""

    offer: Offer
    propensity: float
    decision: OfferDecision


@dataclass(frozen=True)
class LoggedOutcome:
    """A logged choice with what came of it: the training and evaluation row."""

    features: CustomerFeatures
    action: int  # index into the catalogue
    propensity: float
    reward: float
    actions: tuple[int, ...] | None = None  # the catalogue indices the choice was made among (None: all)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.propensity) and 0.0 < self.propensity <= 1.0):
            raise ValueError(f"propensity must be in (0, 1], got {self.propensity}")
        if not math.isfinite(self.reward):
            raise ValueError(f"reward must be finite, got {self.reward}")
        if self.actions is not None and self.action not in self.actions:
            raise ValueError(f"action {self.action} is not among the actions offered {self.actions}")

    def offered(self, catalogue: Catalogue) -> tuple[Catalogue, int]:
        """The actions the choice was made among, and the logged action's index in them."""
        if self.actions is None:
            return catalogue, self.action
        return Catalogue(tuple(catalogue.offers[i] for i in self.actions)), self.actions.index(self.action)


DecisionSink = Callable[[OfferDecision], None]


class OfferPolicy(Protocol):
    catalogue: Catalogue

    @property
    def version(self) -> str: ...

    def probabilities(self, features: CustomerFeatures, actions: Catalogue | None = None) -> np.ndarray:
        """Over `actions` (a part of the catalogue; None: the whole catalogue), in its order."""


def check_probabilities(p: np.ndarray, actions: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.shape != (actions,) or not np.all(np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1) > PROBABILITY_TOLERANCE:
        raise ValueError(f"not a distribution over {actions} actions: {p}")
    return p


class Chooser:
    """Samples a policy's distribution with its own seeded generator and logs every choice to `sink`."""

    def __init__(self, policy: OfferPolicy, seed: int = 0, sink: DecisionSink | None = None):
        self.policy, self.sink = policy, sink
        self._rng = np.random.default_rng(seed)

    def choose(self, features: CustomerFeatures, *, customer_id: str | None = None, at: datetime | None = None,
               actions: Catalogue | None = None) -> OfferChoice:
        """One of `actions` (a part of the policy's catalogue; None: all of it), its probabilities over them."""
        catalogue = actions or self.policy.catalogue
        p = check_probabilities(self.policy.probabilities(features, catalogue), len(catalogue))
        index = int(self._rng.choice(len(p), p=p))
        offer = catalogue.offers[index]
        decision = OfferDecision(new_id("ofd_"), customer_id, at, self.policy.version, catalogue.ids,
                                 offer.offer_id, float(p[index]), tuple(float(x) for x in p),
                                 features.as_mapping())
        if self.sink is not None:
            self.sink(decision)
        return OfferChoice(offer, decision.propensity, decision)


@dataclass
class UniformOfferPolicy:
    catalogue: Catalogue
    version: str = "uniform-v1"

    def probabilities(self, features: CustomerFeatures, actions: Catalogue | None = None) -> np.ndarray:
        k = len(actions or self.catalogue)
        return np.full(k, 1.0 / k)


@dataclass
class BestSingleOfferPolicy:
    """One action for everyone (with an optional exploration share spread over the others)."""

    catalogue: Catalogue
    action: int
    exploration: float = 0.0
    version: str = field(init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.exploration < 1:
            raise ValueError(f"exploration must be in [0, 1), got {self.exploration}")
        self.version = f"best-single-{self.catalogue.offers[self.action].offer_id}"

    @classmethod
    def fit(cls, catalogue: Catalogue, logs: Iterable[LoggedOutcome],
            exploration: float = 0.0) -> BestSingleOfferPolicy:
        """The action with the best self-normalised importance-weighted mean reward in the logs."""
        weighted, weights = np.zeros(len(catalogue)), np.zeros(len(catalogue))
        for row in logs:
            weighted[row.action] += row.reward / row.propensity
            weights[row.action] += 1.0 / row.propensity
        if not weights.any():
            raise ValueError("no logged rows to pick the best single offer from")
        means = np.where(weights > 0, weighted / np.where(weights > 0, weights, 1.0), -np.inf)
        return cls(catalogue, int(np.argmax(means)), exploration)

    def probabilities(self, features: CustomerFeatures, actions: Catalogue | None = None) -> np.ndarray:
        """The chosen action (with the exploration share spread over all); uniform over `actions` when they
        do not hold it."""
        actions = actions or self.catalogue
        best = self.catalogue.offers[self.action].offer_id
        if best not in actions.ids:
            return np.full(len(actions), 1.0 / len(actions))
        p = np.full(len(actions), self.exploration / len(actions))
        p[actions.index(best)] += 1.0 - self.exploration
        return p


@dataclass(frozen=True)
class Exploration:
    """epsilon-greedy (`epsilon`: that share of choices spread evenly, a floor of epsilon / K on every action)
    or SquareCB (`gamma_scale`: exploration shrinks as the model's regret estimate does; no fixed floor)."""

    algorithm: str = "epsilon"
    epsilon: float = 0.1
    gamma_scale: float = 10.0

    def __post_init__(self) -> None:
        if self.algorithm not in ("epsilon", "squarecb"):
            raise ValueError(f"unknown exploration {self.algorithm!r} (epsilon | squarecb)")
        if not 0.0 <= self.epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {self.epsilon}")
        if not self.gamma_scale > 0:
            raise ValueError(f"gamma_scale must be > 0, got {self.gamma_scale}")

    def vw_args(self) -> str:
        if self.algorithm == "squarecb":
            return f"--squarecb --gamma_scale {self.gamma_scale}"
        return f"--epsilon {self.epsilon}"


# Customer features crossed with every offer feature (-q CO); squared loss on the cost -reward / reward_scale;
# a small learning rate (0.005: the best of 0.002-0.5 on a development cohort, seeds 11-12, not the bench's)
# averages the noisy 14-day rewards instead of chasing them. A first, small log (hundreds of decisions) may
# warrant a larger rate (`smartpay rewards offers train --learning-rate`); the OPE of the result judges it.
LEARNING_RATE = 0.005


def vw_args(learning_rate: float = LEARNING_RATE) -> str:
    return f"--cb_explore_adf -q CO -l {learning_rate} --quiet"


VW_ARGS = vw_args()


def checkpoint_version(model: bytes) -> str:
    """A checkpoint's version: `offers-vw-` and the first 12 hex of its bytes' sha256 (one version, one model)."""
    return f"offers-vw-{hashlib.sha256(model).hexdigest()[:12]}"


class VowpalOfferPolicy:
    def __init__(self, catalogue: Catalogue, exploration: Exploration = Exploration(), *, seed: int = 0,
                 reward_scale: float = 10.0, model: bytes | None = None, checkpoint: str = "offers-vw-untrained",
                 learning_rate: float = LEARNING_RATE):
        if not reward_scale > 0:
            raise ValueError(f"reward_scale must be > 0, got {reward_scale}")
        if not (math.isfinite(learning_rate) and learning_rate > 0):
            raise ValueError(f"learning_rate must be > 0, got {learning_rate}")
        self.catalogue, self.exploration, self.reward_scale = catalogue, exploration, reward_scale
        self.checkpoint, self.updates = checkpoint, 0
        if model is None:
            self._vw = Workspace(f"{vw_args(learning_rate)} {exploration.vw_args()} --random_seed {seed}")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                (path := Path(tmp) / "model.vw").write_bytes(model)
                self._vw = Workspace(f"--quiet -i {path}")

    @property
    def version(self) -> str:
        return f"{self.checkpoint}+{self.updates}" if self.updates else self.checkpoint

    def probabilities(self, features: CustomerFeatures, actions: Catalogue | None = None) -> np.ndarray:
        """VW's exploring distribution over `actions` (an ADF example holds any number of actions: the
        exploration floor is spread over those given)."""
        pmf = np.asarray(self._vw.predict(vw_format.example(features, actions or self.catalogue)), dtype=float)
        return pmf / pmf.sum()

    def greedy(self, features: CustomerFeatures) -> int:
        """The action the model rates best (the mode of its exploring distribution)."""
        return int(np.argmax(self.probabilities(features)))

    def greedy_action(self, features: CustomerFeatures, actions: Catalogue) -> str:
        """The offer id the model rates best among `actions`."""
        return actions.ids[int(np.argmax(self.probabilities(features, actions)))]

    def learn(self, row: LoggedOutcome) -> None:
        offered, index = row.offered(self.catalogue)
        lines = vw_format.example(features=row.features, catalogue=offered,
                                  label=(index, -row.reward / self.reward_scale, row.propensity))
        self._vw.learn(lines)
        self.updates += 1

    def learn_all(self, rows: Sequence[LoggedOutcome], passes: int = 1, seed: int = 0) -> None:
        """Fit on logged rows, `passes` times, each pass in a fresh seeded order."""
        rng = np.random.default_rng(seed)
        for _ in range(passes):
            for i in rng.permutation(len(rows)):
                self.learn(rows[i])

    def to_bytes(self) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.vw"
            self._vw.save(str(path))
            return path.read_bytes()

    def checkpoint_now(self) -> bytes:
        """The model's bytes; the version becomes their digest (what a decision logged later names)."""
        model = self.to_bytes()
        self.checkpoint = checkpoint_version(model)
        self.updates = 0
        return model
