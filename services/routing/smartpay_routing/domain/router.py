"""Gateway selection: eligibility, merchant rules, health elimination, then the bandit (or a fixed split),
and a ranked fallback list. Pure: the caller passes health, time and the random source."""

from __future__ import annotations

import random
from collections.abc import Mapping

from smartpay_routing.domain import features
from smartpay_routing.domain.catalog import Catalog, Gateway
from smartpay_routing.domain.health import GatewayHealth, HealthConfig
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
        notes: list[str] = []
        status = {g.name: health.get(g.name, _HEALTHY).status(now, self.health_config) for g in eligible}
        usable = [g for g in eligible if status[g.name] != "open"]
        if not usable:
            usable = eligible
            notes.append("every eligible gateway's circuit is open: routing degraded to all of them")
        elif len(usable) < len(eligible):
            notes.append("circuit open: " + ", ".join(g.name for g in eligible if status[g.name] == "open"))
        probing = [g.name for g in usable if status[g.name] == "half_open"]
        if probing:
            notes.append("probing: " + ", ".join(probing))

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
        return Decision(gateway=names[index], fallbacks=fallbacks, propensity=pmf[index],
                        policy_version=self.policy.version, explanation=explanation, mode=mode,
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
        if probing and len(probing) < len(names):
            # Probes get a fixed small share; the rest of the mass follows the policy over closed gateways.
            share = self.health_config.probe_fraction
            closed_mass = sum(p for n, p in zip(names, pmf, strict=True) if n not in probing)
            rest = 1.0 - share * len(probing)
            pmf = [share if n in probing else
                   (rest * p / closed_mass if closed_mass > 0 else rest / (len(names) - len(probing)))
                   for n, p in zip(names, pmf, strict=True)]
        return pmf, "bandit"

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
