"""Vowpal Wabbit 9 `--cb_explore_adf` behind the Policy port; model bytes in and out for checkpoints."""

from __future__ import annotations

import hashlib
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pylibvw
from vowpalwabbit import Workspace

from smartpay_routing.domain import features


@dataclass(frozen=True)
class Exploration:
    """How the bandit explores: epsilon-greedy (`epsilon`) or SquareCB (`squarecb`, `gamma_scale`)."""

    algorithm: str = "squarecb"
    epsilon: float = 0.05
    gamma_scale: float = 10.0

    def args(self) -> str:
        if self.algorithm == "epsilon":
            return f"--epsilon {self.epsilon}"
        if self.algorithm == "squarecb":
            return f"--squarecb --gamma_scale {self.gamma_scale}"
        raise ValueError(f"unknown exploration {self.algorithm!r} (epsilon | squarecb)")


# Per-gateway weights for every context feature (-q UG); a constant learning rate keeps it adapting to drift.
BASE_ARGS = "--cb_explore_adf -q UG --power_t 0 -l 0.05 --quiet"


class VowpalPolicy:
    def __init__(self, exploration: Exploration = Exploration(), *, model: bytes | None = None,
                 checkpoint_id: str = "vw-untrained", seed: int = 0, updates: int = 0):
        self.exploration = exploration
        self.checkpoint_id = checkpoint_id
        self.updates_since_checkpoint = 0
        self.total_updates = updates
        self._lock = threading.Lock()
        args = f"{BASE_ARGS} {exploration.args()} --random_seed {seed}"
        if model is None:
            self._vw = Workspace(args)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.vw"
                path.write_bytes(model)
                self._vw = Workspace(f"--quiet -i {path}")

    @property
    def version(self) -> str:
        if self.updates_since_checkpoint:
            return f"{self.checkpoint_id}+{self.updates_since_checkpoint}"
        return self.checkpoint_id

    def distribution(self, shared: str, actions: list[str]) -> list[float]:
        # The pybind layer under Workspace.predict, minus its per-line Example wrappers (5x less time at
        # 9.11.9; tests/unit/test_vw_policy.py checks it against the public predict).
        with self._lock:
            examples = pylibvw.vw._parse(self._vw, "\n".join((shared, *actions)))
            try:
                pylibvw.vw.predict_multi(self._vw, examples)
                pmf = examples[0].get_action_scores()
            finally:
                pylibvw.vw._finish_example_multi_ex(self._vw, examples)
        total = sum(pmf)
        return [p / total for p in pmf]

    def distribution_public_api(self, shared: str, actions: list[str]) -> list[float]:
        with self._lock:
            pmf = self._vw.predict([shared, *actions])
        total = sum(pmf)
        return [p / total for p in pmf]

    def learn(self, shared: str, actions: list[str], chosen: int, cost: float, probability: float) -> None:
        lines = features.labelled(shared, actions, chosen, cost, probability)
        with self._lock:
            self._vw.learn(lines)
            self.updates_since_checkpoint += 1
            self.total_updates += 1

    def to_bytes(self) -> bytes:
        with self._lock, tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.vw"
            self._vw.save(str(path))
            return path.read_bytes()

    def mark_checkpointed(self, checkpoint_id: str) -> None:
        self.checkpoint_id = checkpoint_id
        self.updates_since_checkpoint = 0


def checkpoint_id_for(model: bytes, total_updates: int) -> str:
    """A checkpoint's id: how many updates it holds and a digest of its bytes."""
    return f"vw-{total_updates:08d}-{hashlib.sha256(model).hexdigest()[:10]}"
