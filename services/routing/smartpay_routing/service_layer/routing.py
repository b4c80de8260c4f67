"""Use cases: select a route for a payment attempt (idempotently), learn from its outcome (once),
checkpoint the policy. The adapters come in through the constructor (bootstrap wires them)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from smartpay_routing.domain import reward as rewards
from smartpay_routing.domain.errors import CheckpointError
from smartpay_routing.domain.health import GatewayHealth
from smartpay_routing.domain.model import Decision, Outcome, RouteContext
from smartpay_routing.domain.router import Router
from smartpay_routing.service_layer import health as health_service
from smartpay_routing.service_layer.ports import CheckpointStore, DecisionStore, HealthStore, StoreUnavailable

log = logging.getLogger(__name__)


class LearningPolicy(Protocol):
    total_updates: int

    @property
    def version(self) -> str: ...
    def learn(self, shared: str, actions: list[str], chosen: int, cost: float, probability: float) -> None: ...
    def to_bytes(self) -> bytes: ...
    def mark_checkpointed(self, checkpoint_id: str) -> None: ...


class RoutingService:
    def __init__(self, router: Router, policy: LearningPolicy, health: HealthStore, decisions: DecisionStore,
                 checkpoints: CheckpointStore, *, checkpoint_id_for: Callable[[bytes, int], str],
                 checkpoint_every: int = 200, checkpoint_max_age_seconds: float = 300.0,
                 health_cache_seconds: float = 1.0,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None):
        self.router = router
        self.policy = policy
        self.health = health
        self.decisions = decisions
        self.checkpoints = checkpoints
        self._checkpoint_id_for = checkpoint_id_for
        self.checkpoint_every = checkpoint_every
        self.checkpoint_max_age_seconds = checkpoint_max_age_seconds
        self._last_checkpoint = clock()
        self._health_cache_seconds = health_cache_seconds
        self._clock = clock
        self._rng = rng or random.Random()
        self._cached: tuple[float, dict[str, GatewayHealth]] | None = None
        self.pending_log: list[dict] = []

    def health_snapshot(self) -> dict[str, GatewayHealth]:
        now = self._clock()
        if self._cached is None or now - self._cached[0] > self._health_cache_seconds:
            try:
                self._cached = (now, self.health.snapshot(self.router.catalog.gateways, now))
            except StoreUnavailable:
                # Routing without health beats not routing: every circuit counts as closed until Redis is back.
                log.exception("gateway health unavailable: deciding without the health guard")
                return {}
        return self._cached[1]

    def decide(self, ctx: RouteContext, excluded: frozenset[str] = frozenset()) -> Decision:
        """A decision without a payment behind it (POST /route): nothing stored, nothing to learn."""
        return self.router.decide(ctx, health=self.health_snapshot(), now=self._clock(), rng=self._rng,
                                  excluded=excluded)

    def select_route(self, payment_id: str, attempt: int, ctx: RouteContext,
                     excluded: frozenset[str] = frozenset()) -> dict:
        """Decide and store the decision; a redelivered request gets the stored decision back unchanged."""
        existing = self.decisions.get(payment_id, attempt)
        if existing is not None:
            return existing
        decision = self.decide(ctx, excluded)
        record = {"context": ctx.to_dict(), "gateway": decision.gateway, "fallbacks": list(decision.fallbacks),
                  "propensity": decision.propensity, "policy_version": decision.policy_version,
                  "explanation": decision.explanation, "mode": decision.mode,
                  "candidates": list(decision.candidates), "pmf": list(decision.pmf),
                  "shared": decision.shared_features, "actions": list(decision.action_features),
                  "decided_at": datetime.now(UTC).isoformat()}
        return self.decisions.put_if_absent(payment_id, attempt, record) or record

    def record_outcome(self, outcome: Outcome) -> str:
        """Health window + one learning step per (payment, attempt); returns what happened."""
        if not self.decisions.claim_outcome(outcome.payment_id, outcome.attempt):
            return "duplicate"
        try:
            result = self._apply(outcome)
        except Exception:
            self.decisions.release_outcome(outcome.payment_id, outcome.attempt)
            raise
        self._cached = None
        return result

    def _apply(self, outcome: Outcome) -> str:
        record = self.decisions.get(outcome.payment_id, outcome.attempt)
        health_service.record_result(self.health, outcome.gateway, outcome.gateway_error, self._clock(),
                                     self.router.health_config)
        if record is None:
            log.warning("outcome without a stored decision: health only", extra={"payment_id": outcome.payment_id})
            return "no_decision"
        if outcome.gateway not in record["candidates"] or outcome.gateway != record["gateway"]:
            log.warning("outcome gateway %s differs from the decision %s: health only", outcome.gateway,
                        record["gateway"])
            return "gateway_mismatch"
        ctx = RouteContext.from_dict(record["context"])
        gateway = self.router.catalog.gateways[outcome.gateway]
        value = rewards.reward(outcome.approved, gateway.fee_fraction(ctx.amount, ctx.currency), outcome.latency_ms)
        chosen = record["candidates"].index(outcome.gateway)
        self.policy.learn(record["shared"], record["actions"], chosen, rewards.cost(value), record["propensity"])
        self.pending_log.append({"context": record["context"], "actions": record["candidates"],
                                 "action": outcome.gateway, "propensity": record["propensity"], "reward": value,
                                 "policy_version": record["policy_version"]})
        # Every N updates, or sooner on quiet traffic so a recycled container loses little.
        if (len(self.pending_log) >= self.checkpoint_every
                or self._clock() - self._last_checkpoint >= self.checkpoint_max_age_seconds):
            self.checkpoint()
        return "learned"

    def checkpoint(self) -> str | None:
        """Write the model and the decisions learnt since the last checkpoint; a failure waits for the next."""
        model = self.policy.to_bytes()
        checkpoint_id = self._checkpoint_id_for(model, self.policy.total_updates)
        metadata = {"total_updates": self.policy.total_updates, "created_at": datetime.now(UTC).isoformat(),
                    "decisions": len(self.pending_log)}
        try:
            self.checkpoints.save(checkpoint_id, model, metadata, self.pending_log)
        except CheckpointError:
            log.exception("checkpoint failed; the model keeps learning and the next checkpoint retries")
            return None
        self.policy.mark_checkpointed(checkpoint_id)
        self.pending_log = []
        self._last_checkpoint = self._clock()
        return checkpoint_id
