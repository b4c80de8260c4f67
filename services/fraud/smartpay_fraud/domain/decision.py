"""Score -> decision under versioned thresholds, and the assessment the service answers with."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

Decision = Literal["approve", "review", "decline"]


@dataclass(frozen=True)
class Thresholds:
    review: float
    decline: float
    version: str = ""

    def __post_init__(self):
        if not 0.0 <= self.review <= self.decline <= 1.0:
            raise ValueError(f"thresholds must satisfy 0 <= review <= decline <= 1, got {self}")
        if not self.version:  # the version names the numbers: same numbers, same version
            digest = hashlib.sha256(json.dumps([self.review, self.decline]).encode()).hexdigest()[:8]
            object.__setattr__(self, "version", f"thr-{digest}")

    def decide(self, score: float) -> Decision:
        return self.decide_many([score])[0]

    def decide_many(self, scores) -> list[Decision]:
        """The decision per score, vectorised (the one rule: >= decline -> decline, >= review -> review)."""
        s = np.asarray(scores, dtype=np.float64)
        return np.where(s >= self.decline, "decline", np.where(s >= self.review, "review", "approve")).tolist()


@dataclass(frozen=True)
class Reason:
    feature: str
    contribution: float
    description: str


@dataclass(frozen=True)
class Assessment:
    score: float
    decision: Decision
    model_version: str
    threshold_version: str
    reasons: list[Reason] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> Assessment:
        return cls(score=float(raw["score"]), decision=raw["decision"], model_version=raw["model_version"],
                   threshold_version=raw["threshold_version"], reasons=[Reason(**r) for r in raw["reasons"]])
