"""Gateway selection: eligibility, merchant rules, health elimination, then the bandit (or a fixed split),
and a ranked fallback list. Pure: the caller passes health, time and the random source."""

from __future__ import annotations

import random
from collections.abc import Mapping

from smartpay_routing.domain import features
from smartpay_routing.domain.catalog import Catalog, Gateway
from smartpay_routing.domain.health import GatewayHealth, HealthConfig, with_probes
from smartpay_routing.domain.health import guard as health_guard
from smartpay_routing.domain.model import Decision, Mode, RouteContext
from smartpay_routing.domain.policy import Policy

_HEALTHY = GatewayHealth()


class Router:
    def __init__(self, catalog: Catalog, policy: Policy, health_config: HealthConfig = HealthConfig()):
        self.catalog = catalog
        self.policy = policy
        self.health_config = health_config

    def decide(self, ctx: RouteContext, *, health: Mapping[str, GatewayHealth], now: float,
               rng: random.Random, excluded: frozenset[str] = frozenset()) -> Decision:
        eligible = self.catalog.eligible(ctx, excluded)  # raises NoEligibleGateway / UnsupportedPayment
        guarded = health_guard([g.name for g in eligible], health, now, self.health_config)
        notes = list(guarded.notes)
        usable = [g for g in eligible if g.name in guarded.usable]
        probing = list(guarded.probing)

        region = self.catalog.region(ctx.country)
        shared = features.shared_line(ctx, region)
        actions = [features.action_line(g, ctx, health.get(g.name, _HEALTHY).window.error_rate) for g in usable]
        names = [g.name for g in usable]
        pmf, mode = self._distribution(ctx, usable, shared, actions, set(probing), notes)
        index = _sample(pmf, rng)
        ranked = sorted((i for i in range(len(names)) if i != index),
                        key=lambda i: (names[i] in probing, -pmf[i], usable[i].fee(ctx.amount, ctx.currency)))
        fallbacks = tuple(names[i] for i in ranked)
        explanation = self._explain(mode, names, pmf, index, eligible, notes)
        # Only a bandit decision comes from the policy; a rule's says so (an endpoint-served policy's version is the
        # model behind this thread's last distribution, which a pinned or split decision never asked for).
        version = self.policy.version if mode == "bandit" else f"rule:{mode}"
        return Decision(gateway=names[index], fallbacks=fallbacks, propensity=pmf[index],
                        policy_version=version, explanation=explanation, mode=mode,
                        candidates=tuple(names), pmf=tuple(pmf), action_features=tuple(actions),
                        shared_features=shared)

    def _distribution(self, ctx: RouteContext, usable: list[Gateway], shared: str, actions: list[str],
                      probing: set[str], notes: list[str]) -> tuple[list[float], Mode]:
        names = [g.name for g in usable]
        rules = self.catalog.rules_for(ctx.merchant_id)
        if rules.pin and rules.pin in names:
            notes.append(f"merchant rule pins {rules.pin}")
            return [1.0 if n == rules.pin else 0.0 for n in names], "pinned"
        if rules.split and any(rules.split.get(n, 0) > 0 for n in names):
            weights = [rules.split.get(n, 0.0) for n in names]
            total = sum(weights)
            notes.append("merchant volume split")
            return [w / total for w in weights], "split"
        if len(usable) == 1:
            return [1.0], "only"
        pmf = self.policy.distribution(shared, actions)
        return with_probes(names, pmf, probing, self.health_config.probe_fraction), "bandit"

    @staticmethod
    def _explain(mode: Mode, names: list[str], pmf: list[float], index: int, eligible: list[Gateway],
                 notes: list[str]) -> str:
        probs = ", ".join(f"{n} {p:.3f}" for n, p in zip(names, pmf, strict=True))
        head = {"bandit": "contextual bandit", "split": "merchant volume split", "pinned": "merchant pin",
                "only": "only usable gateway"}[mode]
        text = f"{head} chose {names[index]} (p={pmf[index]:.3f}); eligible: {', '.join(g.name for g in eligible)}; " \
               f"probabilities: {probs}"
        return text + ("; " + "; ".join(notes) if notes else "")


def _sample(pmf: list[float], rng: random.Random) -> int:
    u = rng.random() * sum(pmf)
    acc = 0.0
    for i, p in enumerate(pmf):
        acc += p
        if u < acc and p > 0:
            return i
    return max(range(len(pmf)), key=lambda i: pmf[i])
