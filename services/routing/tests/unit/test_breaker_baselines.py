"""The simulator's baselines behind the bandit's own health guard: an open gateway gets no traffic, a
half-open one the probe share, and the propensities they report are the probabilities they picked with."""

from collections import Counter

import pytest

from smartpay_routing.domain.health import HealthConfig
from smartpay_routing.simulation.environment import GatewayEnvironment, Outage
from smartpay_routing.simulation.policies import NO_BREAKER, StaticRules, UniformRandom, VowpalBandit, WithBreaker
from smartpay_routing.simulation.runner import run

ELIGIBLE = ["stripe", "amazon_pay", "solana"]


def fail(router, gateway, n, now):
    for _ in range(n):
        router.observe(None, gateway, False, True, 5000.0, now)


def test_an_open_gateway_gets_nothing_and_a_half_open_one_the_probe_share(ctx):
    cfg = HealthConfig()
    router = WithBreaker(StaticRules(), seed=1, health=cfg)
    card = ctx(method="card")
    assert router.choose(card, ELIGIBLE, 0.0) == ("stripe", 1.0)
    fail(router, "stripe", cfg.min_requests, now=1.0)  # the window trips the breaker
    assert {router.choose(card, ELIGIBLE, 2.0) for _ in range(200)} == {("amazon_pay", 1.0)}  # the next one

    half_open = 1.0 + cfg.cooldown_seconds
    picks = Counter(router.choose(card, ELIGIBLE, half_open) for _ in range(4000))
    assert set(picks) == {("stripe", cfg.probe_fraction), ("amazon_pay", 1.0 - cfg.probe_fraction)}
    assert picks[("stripe", cfg.probe_fraction)] / 4000 == pytest.approx(cfg.probe_fraction, abs=0.015)

    for _ in range(cfg.probe_successes):  # successful probes close it
        router.observe(card, "stripe", True, False, 300.0, half_open)
    assert router.choose(card, ELIGIBLE, half_open + 1) == ("stripe", 1.0)


def test_every_circuit_open_degrades_to_all_eligible(ctx):
    router = WithBreaker(UniformRandom(3), seed=3)
    for gateway in ELIGIBLE:
        fail(router, gateway, 20, now=1.0)
    assert {router.choose(ctx(), ELIGIBLE, 2.0) for _ in range(300)} == {(g, 1 / 3) for g in ELIGIBLE}


def test_the_breaker_helps_static_rules_through_an_outage_and_the_bandit_runs_without_one(catalog):
    outage = Outage("stripe", 0.3, 0.7)
    plain = run(GatewayEnvironment(catalog, 5, 3000, outage), StaticRules())
    guarded = run(GatewayEnvironment(catalog, 5, 3000, outage), WithBreaker(StaticRules(), seed=5))
    start, end = plain.outage
    assert guarded.approved[start:end].mean() > plain.approved[start:end].mean() + 0.2

    bandit = VowpalBandit(catalog, 5, health=NO_BREAKER, name="vw_bandit")
    run(GatewayEnvironment(catalog, 5, 3000, outage), bandit)
    assert {bandit.health.breaker(g).state for g in ELIGIBLE} == {"closed"}
