"""The offer decision log port: every choice the offer policy makes (context, action, propensity, policy
version), kept for off-policy evaluation and training (service_layer/offer_training.py) and read back for the
customer's offer history (fatigue features, the offer still active) and by the ledger (the offer standing at a
capture, whose bonus it pays). Implementations: adapters/decision_log.py (DynamoDB, in memory).

This belongs with the other ports in service_layer/ports.py; it lives here until that file is free to edit
(the chain/exchange wiring is changing it), then moves there unchanged."""

from __future__ import annotations

import abc
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DecisionRecord:
    """One logged offer choice, scoped to the merchant whose customer it was made for."""

    merchant_id: str
    customer_id: str
    decision_id: str
    at: datetime                         # timezone-aware
    policy_version: str
    action: str                          # the catalogue's offer id ("none": no offer)
    propensity: float                    # the probability the policy gave `action`, in (0, 1]
    actions: tuple[str, ...]             # the catalogue's offer ids, in order
    probabilities: tuple[float, ...]     # over `actions`
    context: Mapping[str, float | int | str] = field(default_factory=dict)  # CustomerFeatures.as_mapping()

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("decision time must be timezone-aware")
        if not (math.isfinite(self.propensity) and 0.0 < self.propensity <= 1.0):
            raise ValueError(f"propensity must be in (0, 1], got {self.propensity}")
        if self.action not in self.actions or len(self.actions) != len(self.probabilities):
            raise ValueError("the action must be one of the actions, with one probability per action")


class OfferDecisionLog(abc.ABC):
    @abc.abstractmethod
    def append(self, record: DecisionRecord) -> None:
        """Keep the decision (a decision id written twice is kept once)."""

    @abc.abstractmethod
    def recent(self, merchant_id: str, customer_id: str, *, since: datetime, limit: int) -> list[DecisionRecord]:
        """The merchant's customer's decisions made at or after `since`, newest first, at most `limit`."""

    @abc.abstractmethod
    def standing_at(self, merchant_id: str, customer_id: str, at: datetime, *,
                    since: datetime) -> DecisionRecord | None:
        """The merchant's customer's newest decision made at or before `at` (and not before `since`): the one
        that stood at `at` (the policy draws a new decision only once the previous one has lapsed). Strongly
        consistent: a decision logged just before a capture is seen by it."""

    @abc.abstractmethod
    def claim(self, record: DecisionRecord, previous: str | None) -> DecisionRecord:
        """Make `record` the merchant's customer's standing decision, only if the standing one is still
        `previous` (a decision id; None: there is none yet), and return it; when another request claimed first
        (two first statements at once), return the decision that request claimed instead. Strongly consistent:
        exactly one of concurrent claims over the same `previous` wins. The caller logs (`append`) only a
        decision it won."""

    @abc.abstractmethod
    def decided_between(self, since: datetime, until: datetime) -> Iterator[DecisionRecord]:
        """Every merchant's decisions made in [since, until), in no particular order (training reads the
        whole log; each record names its merchant)."""
