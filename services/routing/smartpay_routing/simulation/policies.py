"""The routers the benchmark compares. Each picks a gateway among the eligible ones and sees the outcome."""

from __future__ import annotations

import random
from collections import defaultdict, deque
from typing import Protocol

from smartpay_routing.adapters.memory import InMemoryCheckpointStore, InMemoryDecisionStore, InMemoryHealthStore
from smartpay_routing.adapters.vw_policy import Exploration, VowpalPolicy, checkpoint_id_for
from smartpay_routing.domain.catalog import Catalog
from smartpay_routing.domain.health import HealthConfig, guard
from smartpay_routing.domain.model import Outcome, RouteContext
from smartpay_routing.domain.router import Router
from smartpay_routing.service_layer.health import record_result
from smartpay_routing.service_layer.routing import RoutingService

NATIVE = {"card": "stripe", "amazon_pay": "amazon_pay", "solana_wallet": "solana"}
# A breaker whose window never holds enough attempts to open: the bandit without the health guard.
NO_BREAKER = HealthConfig(min_requests=2**62)


class SimPolicy(Protocol):
    name: str

    def choose(self, ctx: RouteContext, eligible: list[str], now: float) -> tuple[str, float]: ...

    def observe(self, ctx: RouteContext, gateway: str, approved: bool, error: bool, latency_ms: float,
                now: float) -> None: ...


class StaticRules:
    """What a merchant configures by hand: each method to its native gateway, else the first eligible."""

    name = "static_rules"

    def choose(self, ctx, eligible, now):
        native = NATIVE[ctx.method]
        return (native if native in eligible else eligible[0]), 1.0

    def observe(self, *args, **kwargs):
        pass


class UniformRandom:
    name = "random"

    def __init__(self, seed: int):
        self._rng = random.Random(seed)

    def choose(self, ctx, eligible, now):
        return self._rng.choice(eligible), 1.0 / len(eligible)

    def observe(self, *args, **kwargs):
        pass


class SlidingWindowSuccessRate:
    """Success-rate routing (the leading open-source orchestrator's approach): per gateway and segment
    (method, region) the approval rate over the last `window` attempts; the best one with probability
    1 - exploration, a uniform pick otherwise."""

    name = "success_rate_20pct"

    def __init__(self, catalog: Catalog, seed: int, window: int = 200, exploration: float = 0.2):
        self._catalog = catalog
        self._rng = random.Random(seed)
        self._window = window
        self._exploration = exploration
        self._outcomes: dict[tuple, deque] = defaultdict(lambda: deque(maxlen=self._window))

    def _segment(self, ctx: RouteContext, gateway: str) -> tuple:
        return gateway, ctx.method, self._catalog.region(ctx.country)

    def _rate(self, ctx: RouteContext, gateway: str) -> float:
        seen = self._outcomes[self._segment(ctx, gateway)]
        return (sum(seen) + 1.0) / (len(seen) + 2.0)  # a uniform prior until the window fills

    def choose(self, ctx, eligible, now):
        k = len(eligible)
        best = max(eligible, key=lambda g: self._rate(ctx, g))
        if self._rng.random() < self._exploration:
            pick = self._rng.choice(eligible)
        else:
            pick = best
        return pick, (1 - self._exploration) * (pick == best) + self._exploration / k

    def observe(self, ctx, gateway, approved, error, latency_ms, now):
        self._outcomes[self._segment(ctx, gateway)].append(1 if approved else 0)


class WithBreaker:
    """Any router behind the bandit's health guard (`domain.health.guard`, the same breaker, windows and
    settings): open gateways are removed before the router picks, each half-open gateway gets the probe share,
    and the router picks among the closed ones with the rest. The router still sees every outcome."""

    def __init__(self, inner: SimPolicy, seed: int, health: HealthConfig = HealthConfig()):
        self.inner = inner
        self.name = f"{inner.name}+breaker"
        self.cfg = health
        self.health = InMemoryHealthStore(health)
        self._rng = random.Random(f"probes-{seed}-{inner.name}")

    def choose(self, ctx, eligible, now):
        guarded = guard(eligible, self.health.snapshot(eligible, now), now, self.cfg)
        closed = [g for g in guarded.usable if g not in guarded.probing]
        if not guarded.probing or not closed:
            return self.inner.choose(ctx, list(guarded.usable), now)
        share = self.cfg.probe_fraction
        u = self._rng.random()
        for i, gateway in enumerate(guarded.probing):
            if u < share * (i + 1):
                return gateway, share
        gateway, propensity = self.inner.choose(ctx, closed, now)
        return gateway, (1.0 - share * len(guarded.probing)) * propensity

    def observe(self, ctx, gateway, approved, error, latency_ms, now):
        record_result(self.health, gateway, error, now, self.cfg)
        self.inner.observe(ctx, gateway, approved, error, latency_ms, now)


class VowpalBandit:
    """The production learning loop: `RoutingService` (eligibility, health guard, VW `--cb_explore_adf`,
    stored decisions, one learning step per outcome, checkpoints) on in-memory stores and the simulated clock."""

    def __init__(self, catalog: Catalog, seed: int, exploration: Exploration = Exploration(),
                 health: HealthConfig = HealthConfig(), name: str = "vw_bandit", checkpoint_every: int = 1000):
        self.name = name
        self.policy = VowpalPolicy(exploration, seed=seed)
        self.router = Router(catalog, self.policy, health)
        self.health = InMemoryHealthStore(health)
        self.checkpoints = InMemoryCheckpointStore()
        self._now = 0.0
        self.service = RoutingService(self.router, self.policy, self.health, InMemoryDecisionStore(),
                                      self.checkpoints, checkpoint_id_for=checkpoint_id_for,
                                      checkpoint_every=checkpoint_every, checkpoint_max_age_seconds=float("inf"),
                                      health_cache_seconds=0.0,
                                      clock=lambda: self._now, rng=random.Random(seed))
        self._decisions = 0

    def choose(self, ctx, eligible, now):
        self._now = now
        self._decisions += 1
        record = self.service.select_route(f"pay_SIM{self._decisions:010d}", 1, ctx)
        return record["gateway"], record["propensity"]

    def observe(self, ctx, gateway, approved, error, latency_ms, now):
        self._now = now
        self.service.record_outcome(Outcome(f"pay_SIM{self._decisions:010d}", 1, gateway, approved, error, latency_ms))
