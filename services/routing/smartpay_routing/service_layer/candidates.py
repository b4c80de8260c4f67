"""Candidate policies for OPE: static rules, uniform, probabilities carried by each log record or given in a
second file keyed by row, or a VW checkpoint (its exploring pmf or its greedy choice)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from smartpay_routing.adapters.candidate_file import CandidateFile
from smartpay_routing.adapters.jsonl import is_gzip
from smartpay_routing.adapters.vw_policy import VowpalPolicy
from smartpay_routing.domain import features
from smartpay_routing.domain.catalog import Catalog
from smartpay_routing.domain.model import RouteContext
from smartpay_routing.domain.ope import LoggedDecision

NATIVE = {"card": "stripe", "amazon_pay": "amazon_pay", "solana_wallet": "solana"}
FIELD_PREFIX = "field:"


class Candidate(ABC):
    """pi(. | x) over a record's actions, asked once per decision in the log's order."""

    checked = False  # True: its probabilities were already checked (check_distribution) where they were read

    def start(self) -> None:
        """Called before the rows are asked for."""

    @abstractmethod
    def probabilities(self, line: int, record: LoggedDecision) -> Sequence[float]:
        """The candidate's probability of each of the record's actions, in the record's order."""

    def finish(self) -> None:
        """Called after the last row: a candidate may check that nothing of it was left over."""


class StaticRules(Candidate):
    def probabilities(self, line: int, record: LoggedDecision) -> Sequence[float]:
        method = record.context.get("method")
        if not isinstance(method, str):
            raise ValueError("static rules need context.method (a string)")
        native = NATIVE.get(method)
        pick = native if native in record.actions else record.actions[0]
        return [1.0 if a == pick else 0.0 for a in record.actions]


class Uniform(Candidate):
    def probabilities(self, line: int, record: LoggedDecision) -> Sequence[float]:
        return [1.0 / len(record.actions)] * len(record.actions)


class CarriedByRecord(Candidate):
    """The log names the candidate's probabilities in a field of each line (read with the line)."""

    checked = True  # LoggedDecision checked them

    def probabilities(self, line: int, record: LoggedDecision) -> Sequence[float]:
        assert record.candidate is not None, "the log reader was not told the candidate field"
        return record.candidate


class CheckpointPolicy(Candidate):
    def __init__(self, model: bytes, catalog: Catalog, greedy: bool = False):
        try:
            self._policy = VowpalPolicy(model=model)
        except Exception as e:  # VW says only RuntimeError-like things about a file that is not a model
            raise ValueError(f"not a VW checkpoint ({type(e).__name__}: {e})") from e
        self._catalog = catalog
        self._greedy = greedy

    def probabilities(self, line: int, record: LoggedDecision) -> Sequence[float]:
        try:
            ctx = RouteContext.from_dict({"merchant_id": "ope", **record.context})
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"context cannot be routed by a checkpoint: {type(e).__name__} {e} "
                             f"(it needs amount, currency and method)") from e
        unknown = [a for a in record.actions if a not in self._catalog.gateways]
        if unknown:
            raise ValueError(f"actions {unknown} are not gateways of the catalog")
        health = record.context.get("error_rates") or {}
        if not isinstance(health, dict):
            raise ValueError("context.error_rates must be an object {gateway: rate}")
        shared = features.shared_line(ctx, self._catalog.region(ctx.country))
        actions = [features.action_line(self._catalog.gateways[a], ctx, float(health.get(a, 0.0)))
                   for a in record.actions]
        pmf = self._policy.distribution(shared, actions) if len(actions) > 1 else [1.0]
        if self._greedy:
            best = max(range(len(pmf)), key=pmf.__getitem__)
            return [1.0 if i == best else 0.0 for i in range(len(pmf))]
        total = sum(pmf)
        return [p / total for p in pmf]  # VW's float32 pmf sums to 1 only to ~1e-7


@dataclass(frozen=True)
class Resolved:
    candidate: Candidate
    record_field: str | None  # the log field the reader must parse as the candidate's probabilities


def resolve(spec: str, catalog: Catalog, greedy: bool = False) -> Resolved:
    """static | uniform | field:<key> | a JSON-lines file of per-row probabilities | a VW checkpoint."""
    if greedy and spec in ("static", "uniform") or greedy and spec.startswith(FIELD_PREFIX):
        raise ValueError("--greedy applies to a VW checkpoint only")
    if spec == "static":
        return Resolved(StaticRules(), None)
    if spec == "uniform":
        return Resolved(Uniform(), None)
    if spec.startswith(FIELD_PREFIX):
        key = spec[len(FIELD_PREFIX):]
        if not key:
            raise ValueError("--policy field:<key> needs the name of the log field holding the probabilities")
        return Resolved(CarriedByRecord(), key)
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"policy {spec!r} is neither 'static', 'uniform', 'field:<key>', a per-row "
                         f"probabilities file nor a VW checkpoint file")
    with path.open("rb") as f:
        head = f.read(4096)
    if is_gzip(path) or head.lstrip()[:1] == b"{":
        if greedy:
            raise ValueError("--greedy applies to a VW checkpoint only")
        return Resolved(CandidateFile(path), None)
    try:
        return Resolved(CheckpointPolicy(path.read_bytes(), catalog, greedy), None)
    except ValueError as e:
        raise ValueError(f"policy {spec}: {e}") from e
