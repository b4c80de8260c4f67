"""One logged decision as OPE reads it, and the checks every candidate's probabilities must pass."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PROBABILITY_SUM_TOLERANCE = 1e-6


class LogFormatError(ValueError):
    """A line of a decision log (or of a candidate file) that cannot be read; the message names file and line."""


@dataclass(frozen=True, slots=True)
class LoggedDecision:
    context: Mapping[str, Any]
    actions: tuple[str, ...]
    action: str
    reward: float
    propensity: float
    candidate: tuple[float, ...] | None = None  # the candidate's probabilities, when the record carries them

    def __post_init__(self) -> None:
        if not self.actions:
            raise ValueError("actions is empty")
        if len(set(self.actions)) != len(self.actions):
            duplicates = sorted({a for a in self.actions if self.actions.count(a) > 1})
            raise ValueError(f"actions lists {duplicates} more than once")
        if self.action not in self.actions:
            raise ValueError(f"logged action {self.action!r} is not among the actions {list(self.actions)}")
        if not math.isfinite(self.reward):
            raise ValueError(f"reward must be a finite number, got {self.reward}")
        if not (math.isfinite(self.propensity) and 0.0 < self.propensity <= 1.0):
            raise ValueError(f"propensity must be in (0, 1], got {self.propensity}")
        if self.candidate is not None:
            check_distribution(self.candidate, self.actions)

    @property
    def index(self) -> int:
        return self.actions.index(self.action)


def check_distribution(probabilities: Sequence[float], actions: Sequence[str]) -> tuple[float, ...]:
    """The candidate's probabilities over `actions`, in their order: finite, in [0, 1], summing to 1."""
    if len(probabilities) != len(actions):
        raise ValueError(f"{len(probabilities)} candidate probabilities for {len(actions)} actions")
    out = tuple(map(float, probabilities))
    if not all(0.0 <= p <= 1.0 for p in out):  # NaN and infinities fail the comparison too
        action, p = next((a, p) for a, p in zip(actions, out) if not 0.0 <= p <= 1.0)
        raise ValueError(f"candidate probability of {action!r} must be in [0, 1], got {p}")
    total = math.fsum(out)
    if abs(total - 1.0) > PROBABILITY_SUM_TOLERANCE:
        raise ValueError(f"candidate probabilities sum to {total:.9g}, not 1 (tolerance {PROBABILITY_SUM_TOLERANCE})")
    return out


def distribution_from_mapping(probabilities: Mapping[str, float], actions: Sequence[str]) -> tuple[float, ...]:
    """{action: probability} -> probabilities in the order of `actions`; an action left out has 0."""
    unknown = sorted(set(probabilities) - set(actions))
    if unknown:
        raise ValueError(f"candidate probabilities name {unknown}, not among the actions {list(actions)}")
    return check_distribution([probabilities.get(a, 0.0) for a in actions], actions)
