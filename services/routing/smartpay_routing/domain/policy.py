"""The port the router asks for action probabilities (the VW adapter implements it; tests may fake it)."""

from __future__ import annotations

from typing import Protocol


class Policy(Protocol):
    @property
    def version(self) -> str: ...

    def distribution(self, shared: str, actions: list[str]) -> list[float]:
        """Probability of each action, in the order given; sums to 1."""

    def learn(self, shared: str, actions: list[str], chosen: int, cost: float, probability: float) -> None:
        """One update from a logged decision: the chosen action index, its cost and logged propensity."""
