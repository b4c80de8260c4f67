"""Offline evaluation use case: read a decision log, build the candidate policy, run IPS / SNIPS / DR."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from smartpay_routing.adapters.vw_policy import VowpalPolicy
from smartpay_routing.domain import features, ope
from smartpay_routing.domain.catalog import Catalog
from smartpay_routing.domain.model import RouteContext

NATIVE = {"card": "stripe", "amazon_pay": "amazon_pay", "solana_wallet": "solana"}
_CONTEXT_FIELDS = {"amount", "currency", "method"}


class LogFormatError(ValueError):
    pass


def read_log(lines: Iterable[str], source: str = "log") -> list[ope.LoggedDecision]:
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            missing = {"context", "actions", "action", "reward", "propensity"} - set(raw)
            if missing:
                raise LogFormatError(f"missing field(s) {sorted(missing)}")
            if not _CONTEXT_FIELDS <= set(raw["context"]):
                raise LogFormatError(f"context needs {sorted(_CONTEXT_FIELDS)}")
            records.append(ope.LoggedDecision(raw["context"], tuple(raw["actions"]), raw["action"],
                                              float(raw["reward"]), float(raw["propensity"])))
        except (json.JSONDecodeError, LogFormatError, ValueError, TypeError) as e:
            raise LogFormatError(f"{source} line {number}: {e}") from e
    if not records:
        raise LogFormatError(f"{source} holds no decisions")
    return records


def static_rules(rec: ope.LoggedDecision) -> list[float]:
    native = NATIVE.get(rec.context["method"])
    pick = native if native in rec.actions else rec.actions[0]
    return [1.0 if a == pick else 0.0 for a in rec.actions]


def uniform(rec: ope.LoggedDecision) -> list[float]:
    return [1.0 / len(rec.actions)] * len(rec.actions)


class CheckpointPolicy:
    """A VW checkpoint as a candidate: its exploring distribution, or its greedy choice."""

    def __init__(self, model: bytes, catalog: Catalog, greedy: bool = False):
        self._policy = VowpalPolicy(model=model)
        self._catalog = catalog
        self._greedy = greedy

    def __call__(self, rec: ope.LoggedDecision) -> list[float]:
        ctx = RouteContext.from_dict({"merchant_id": "ope", **rec.context})
        shared = features.shared_line(ctx, self._catalog.region(ctx.country))
        health = rec.context.get("error_rates", {})
        actions = [features.action_line(self._catalog.gateways[a], ctx, float(health.get(a, 0.0)))
                   for a in rec.actions]
        pmf = self._policy.distribution(shared, actions) if len(actions) > 1 else [1.0]
        if self._greedy:
            best = max(range(len(pmf)), key=pmf.__getitem__)
            return [1.0 if i == best else 0.0 for i in range(len(pmf))]
        return pmf


def candidate(name: str, catalog: Catalog, greedy: bool = False) -> ope.TargetPolicy:
    if name == "static":
        return static_rules
    if name == "uniform":
        return uniform
    path = Path(name)
    if not path.is_file():
        raise ValueError(f"policy {name!r} is neither 'static', 'uniform' nor a VW checkpoint file")
    return CheckpointPolicy(path.read_bytes(), catalog, greedy)


def evaluate(records: Sequence[ope.LoggedDecision], target: ope.TargetPolicy) -> dict:
    model = ope.cross_fitted(records)
    logged = ope.sample_mean("logged_policy_mean", [r.reward for r in records])
    return {"n": len(records), "logged": logged.to_dict(),
            "estimates": [e.to_dict() for e in (ope.ips(records, target), ope.snips(records, target),
                                                ope.doubly_robust(records, target, model))]}
