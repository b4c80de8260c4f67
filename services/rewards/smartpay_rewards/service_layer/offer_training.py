"""Learning offers from what the service logged: the loop `smartpay rewards offers train` runs.

1. Join (`join_outcomes`): every decision of the log made in [since, until) whose outcome window has fully
   elapsed at `as_of` (decided at least OUTCOME_WINDOW_DAYS before it; the others are counted as
   `window_open` and left out) is joined with what its customer did at its merchant after it: the reward of
   offers/outcome.py, read from that merchant's ledger of that customer (the ledger's keys carry the merchant,
   so a decision never sees another merchant's purchases). The context is the one the decision logged
   (`CustomerFeatures.from_mapping`), never recomputed from today's data.
   Each decision was made among the actions it logged (the API offers "no offer" and the merchant's
   category's offers only: `Catalogue.for_category`); a decision whose actions are not all in the catalogue
   trained on is left out (`other_catalogue`).
2. Train (`train_and_evaluate`): the joined decisions in time order; the older (1 - held_out) share trains a
   VowpalOfferPolicy on (context, the actions offered, action, logged propensity, reward), the newer share is
   held out.
3. Judge: on the held-out decisions, the learned policy (with its exploration, as it would serve: over each
   decision's logged actions), the logging policy (each decision's logged probabilities: whatever version made
   it) and the uniform policy (uniform over each decision's logged actions), by the shared OPE (IPS, SNIPS, DR
   with 95 % intervals; each one's margin over the logging policy, paired). The probabilities are laid out
   over the whole catalogue, 0 on the actions a decision did not offer: every candidate chooses only among
   what the logging policy could have chosen, so the importance weights are defined.
4. Verdict (`verdict`): publishable only when the learned policy's paired DR margin over the logging policy
   has its 95 % lower bound above 0.
5. Publish (`publish`): the bytes the evaluation judged (not a refit), through the OfferModelStore port
   (adapters/offer_model_store.py: S3), only when the verdict allows it or the operator forces it; the API
   reads them at its next cold start."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import numpy as np

from smartpay_rewards.domain.model import Entry
from smartpay_rewards.offers.catalogue import Catalogue
from smartpay_rewards.offers.evaluation import OfferOpeSettings, off_policy
from smartpay_rewards.offers.features import CustomerFeatures
from smartpay_rewards.offers.outcome import WINDOW, Outcome, outcome_of
from smartpay_rewards.offers.policy import (LEARNING_RATE, Exploration, LoggedOutcome, UniformOfferPolicy,
                                            VowpalOfferPolicy, check_probabilities)
from smartpay_rewards.offers.reward import RewardDefinition
from smartpay_rewards.service_layer.decision_log import DecisionRecord, OfferDecisionLog
from smartpay_rewards.service_layer.ledger import UowFactory
from smartpay_rewards.service_layer.ports import OfferModelStore

LEARNED, LOGGING, UNIFORM = "learned", "logging", "uniform"
WINDOW_OPEN = "window_open"          # decided less than the outcome window before as_of: its outcome is not final
OTHER_CATALOGUE = "other_catalogue"  # logged over an action the catalogue trained on does not hold
BAD_CONTEXT = "bad_context"          # a context that does not read back into features
HISTORY_PAGE = 100


class NotEnoughDecisions(ValueError):
    """Too few joined decisions to train on and to judge the result with."""


@dataclass(frozen=True)
class JoinedDecision:
    record: DecisionRecord
    features: CustomerFeatures
    outcome: Outcome

    def offered(self, catalogue: Catalogue) -> Catalogue:
        """The actions the decision was made among (its logged `actions`), as the catalogue holds them."""
        return catalogue.subset(self.record.actions)

    def row(self, catalogue: Catalogue) -> LoggedOutcome:
        return LoggedOutcome(self.features, catalogue.index(self.record.action), self.record.propensity,
                             self.outcome.reward, tuple(catalogue.index(a) for a in self.record.actions))


@dataclass(frozen=True)
class JoinedLog:
    since: datetime
    until: datetime
    as_of: datetime
    window: timedelta
    decisions: list[JoinedDecision]  # time-ordered (decision time, then id)
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return len(self.decisions) + sum(self.excluded.values())


def _entries(uow_factory: UowFactory, merchant_id: str, customer_id: str) -> list[Entry]:
    """The merchant's customer's whole ledger history, page by page (newest first)."""
    out: list[Entry] = []
    before = None
    with uow_factory() as uow:
        while True:
            page = uow.history(merchant_id, customer_id, limit=HISTORY_PAGE, before_seq=before)
            out += page
            if len(page) < HISTORY_PAGE or page[-1].seq <= 1:
                return out
            before = page[-1].seq


def join_outcomes(log: OfferDecisionLog, uow_factory: UowFactory, catalogue: Catalogue, *, since: datetime,
                  until: datetime, as_of: datetime, definition: RewardDefinition = RewardDefinition(),
                  window: timedelta = WINDOW, merchant_id: str | None = None) -> JoinedLog:
    """The decisions made in [since, until) (of `merchant_id` only, when given) with their outcomes."""
    for name, at in (("since", since), ("until", until), ("as_of", as_of)):
        if at.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    if not since < until:
        raise ValueError("since must be before until")
    excluded: Counter[str] = Counter()
    kept: dict[tuple[str, str], list[tuple[DecisionRecord, CustomerFeatures]]] = {}
    for record in log.decided_between(since, until):
        if merchant_id is not None and record.merchant_id != merchant_id:
            continue
        if record.at + window > as_of:
            excluded[WINDOW_OPEN] += 1
            continue
        if not set(record.actions) <= set(catalogue.ids):
            excluded[OTHER_CATALOGUE] += 1
            continue
        try:
            features = CustomerFeatures.from_mapping(record.context)
        except ValueError:
            excluded[BAD_CONTEXT] += 1
            continue
        kept.setdefault((record.merchant_id, record.customer_id), []).append((record, features))
    joined = []
    for (merchant, customer), decisions in kept.items():
        entries = _entries(uow_factory, merchant, customer)
        joined += [JoinedDecision(record, features, outcome_of(record.decision_id, record.at, entries, definition,
                                                               window))
                   for record, features in decisions]
    joined.sort(key=lambda j: (j.record.at, j.record.decision_id))
    return JoinedLog(since, until, as_of, window, joined, dict(excluded))


@dataclass(frozen=True)
class TrainingSettings:
    held_out: float = 0.3      # the newest share of the joined decisions, judged on and not trained on
    exploration: str = "epsilon"
    epsilon: float = 0.1
    learning_rate: float = LEARNING_RATE
    passes: int = 1
    seed: int = 0
    folds: int = 5             # the OPE reward model's cross-fitting

    def __post_init__(self) -> None:
        if not 0.0 < self.held_out < 1.0:
            raise ValueError(f"held_out must be in (0, 1), got {self.held_out}")
        if self.passes < 1 or self.folds < 2:
            raise ValueError("passes must be >= 1 and folds >= 2")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        Exploration(self.exploration, self.epsilon)  # raises on an unknown algorithm or epsilon out of range


@dataclass(frozen=True)
class Verdict:
    publishable: bool
    reason: str
    margin_low: float | None   # the 95 % lower bound of the learned policy's paired DR margin over logging
    margin: float | None


def verdict(ope: dict) -> Verdict:
    """Publishable only when the learned policy's paired DR margin over the logging policy (the mean of the
    per-decision differences on the same held-out log) has its 95 % lower bound above 0: one interval for the
    difference, not the learned value's interval set against the logging policy's point estimate, which
    would ignore that estimate's own noise."""
    found = ope["margins_over_baseline"].get(LEARNED, {}).get("dr") or {}
    margin, ci = found.get("value"), found.get("ci95")
    low = ci[0] if ci else None
    if low is None or margin is None or not (math.isfinite(low) and math.isfinite(margin)):
        return Verdict(False, "the learned policy's DR margin over the logging policy is undefined", low, margin)
    if low > 0:
        return Verdict(True, f"the learned policy's DR margin over the logging policy is {margin:.4f}, 95 % CI "
                             f"lower bound {low:.4f} > 0", low, margin)
    return Verdict(False, f"the learned policy's DR margin over the logging policy is {margin:.4f}, 95 % CI lower "
                          f"bound {low:.4f}: not above 0, not shown better on these held-out decisions", low, margin)


@dataclass
class TrainingResult:
    settings: TrainingSettings
    policy: VowpalOfferPolicy
    model: bytes
    train: list[JoinedDecision]
    held_out: list[JoinedDecision]
    ope: dict
    verdict: Verdict

    @property
    def version(self) -> str:
        return self.policy.version


def split(decisions: list[JoinedDecision], settings: TrainingSettings) -> tuple[list, list]:
    """Time-ordered: the newest `held_out` share is held out."""
    n_eval = round(len(decisions) * settings.held_out)
    n_train = len(decisions) - n_eval
    need = 2 * settings.folds
    if n_train < need or n_eval < need:
        raise NotEnoughDecisions(f"{len(decisions)} joined decisions give {n_train} to train on and {n_eval} held "
                                 f"out; each needs at least {need}")
    return decisions[:n_train], decisions[n_train:]


def train_and_evaluate(joined: JoinedLog, catalogue: Catalogue, settings: TrainingSettings = TrainingSettings(),
                       say: Callable[[str], None] = lambda _: None) -> TrainingResult:
    train, held_out = split(joined.decisions, settings)
    say(f"training on {len(train)} decisions, judging on the {len(held_out)} newest")
    policy = VowpalOfferPolicy(catalogue, Exploration(settings.exploration, settings.epsilon), seed=settings.seed,
                               learning_rate=settings.learning_rate)
    policy.learn_all([d.row(catalogue) for d in train], passes=settings.passes, seed=settings.seed)
    model = policy.checkpoint_now()
    rows = [d.row(catalogue) for d in held_out]
    uniform = UniformOfferPolicy(catalogue)
    candidates = {
        LEARNED: offered_matrix(held_out, catalogue, lambda d, offered: policy.probabilities(d.features, offered)),
        LOGGING: offered_matrix(held_out, catalogue, lambda d, offered: np.array(d.record.probabilities)
                                / sum(d.record.probabilities)),
        UNIFORM: offered_matrix(held_out, catalogue, lambda d, offered: uniform.probabilities(d.features, offered))}
    ope = off_policy(rows, candidates, LOGGING, OfferOpeSettings(folds=settings.folds, seed=settings.seed))
    return TrainingResult(settings, policy, model, train, held_out, ope, verdict(ope))


def offered_matrix(decisions: list[JoinedDecision], catalogue: Catalogue,
                   probabilities: Callable[[JoinedDecision, Catalogue], np.ndarray]) -> np.ndarray:
    """(decisions, catalogue actions): each decision's probabilities over the actions it offered, 0 on the
    others."""
    out = np.zeros((len(decisions), len(catalogue)))
    for i, d in enumerate(decisions):
        offered = d.offered(catalogue)
        out[i, [catalogue.index(a) for a in offered.ids]] = check_probabilities(probabilities(d, offered),
                                                                                len(offered))
    return out


def _span(decisions: list[JoinedDecision]) -> dict:
    rewards = np.array([d.outcome.reward for d in decisions])
    return {"decisions": len(decisions), "first": decisions[0].record.at.isoformat(),
            "last": decisions[-1].record.at.isoformat(), "mean_reward": float(rewards.mean()),
            "mean_spend": float(np.mean([d.outcome.spend for d in decisions])),
            "mean_points": float(np.mean([d.outcome.points for d in decisions])),
            "mean_bonus_points": float(np.mean([d.outcome.bonus_points for d in decisions])),
            "policy_versions": dict(Counter(d.record.policy_version for d in decisions))}


def report(joined: JoinedLog, result: TrainingResult, catalogue: Catalogue) -> dict:
    """What the run found, JSON-ready (the CLI's --json and the report published beside the checkpoint)."""
    greedy = Counter(result.policy.greedy_action(d.features, d.offered(catalogue)) for d in result.held_out)
    return {
        "join": {"since": joined.since.isoformat(), "until": joined.until.isoformat(),
                 "as_of": joined.as_of.isoformat(), "window_days": joined.window.total_seconds() / 86400,
                 "read": joined.read, "used": len(joined.decisions), "excluded": dict(joined.excluded),
                 "merchants": len({d.record.merchant_id for d in joined.decisions}),
                 "customers": len({(d.record.merchant_id, d.record.customer_id) for d in joined.decisions})},
        "settings": asdict(result.settings), "train": _span(result.train), "held_out": _span(result.held_out),
        "learned_version": result.version, "learned_greedy_actions": dict(greedy.most_common()),
        "ope": result.ope,
        "verdict": {"publishable": result.verdict.publishable, "reason": result.verdict.reason,
                    "dr_margin": result.verdict.margin, "dr_margin_low": result.verdict.margin_low},
    }


@dataclass(frozen=True)
class Published:
    uri: str | None   # None: not published
    forced: bool      # published although the verdict said no


def publish(result: TrainingResult, found: dict, store: OfferModelStore, uri: str | None, *,
            force: bool = False) -> Published:
    """The gate: the judged checkpoint (not a refit) goes to `uri` only when the verdict allows it, or when
    forced; the report goes beside it. `found` (the report) records what was done."""
    published = Published(None, False)
    if uri is not None and (result.verdict.publishable or force):
        store.put(uri, result.model, result.version, found)
        published = Published(uri, not result.verdict.publishable)
    found["published"] = asdict(published)
    return published
