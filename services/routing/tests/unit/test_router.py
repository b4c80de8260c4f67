"""Guards around the bandit: health elimination, probing, merchant pins and splits, ranked fallbacks."""

import random

import pytest

from smartpay_routing.domain.catalog import Catalog
from smartpay_routing.domain.errors import NoEligibleGateway
from smartpay_routing.domain.health import Breaker, GatewayHealth, HealthConfig, WindowStats
from smartpay_routing.domain.router import Router

CFG = HealthConfig(cooldown_seconds=30, probe_fraction=0.05)


class FixedPolicy:
    """A fake policy for the pure guard logic: fixed preference weights per gateway feature."""

    version = "fake-1"

    def __init__(self, weights):
        self.weights = weights
        self.seen = []

    def distribution(self, shared, actions):
        self.seen.append(actions)
        w = [next(v for g, v in self.weights.items() if f"gw_{g} " in a) for a in actions]
        return [x / sum(w) for x in w]

    def learn(self, *args):
        raise AssertionError("the router never learns")


def router(catalog, weights=None):
    return Router(catalog, FixedPolicy(weights or {"stripe": 0.6, "amazon_pay": 0.3, "solana": 0.1}), CFG)


def decide(r, ctx, health=None, seed=0, now=1000.0, **kw):
    return r.decide(ctx, health=health or {}, now=now, rng=random.Random(seed), **kw)


def test_bandit_decision_carries_pmf_propensity_fallbacks_and_explanation(catalog, ctx):
    d = decide(router(catalog), ctx())
    assert d.mode == "bandit" and d.candidates == ("stripe", "amazon_pay", "solana")
    assert d.pmf == pytest.approx((0.6, 0.3, 0.1))
    assert d.propensity == pytest.approx(d.pmf[d.chosen_index])
    assert set(d.fallbacks) == set(d.candidates) - {d.gateway}
    assert d.policy_version == "fake-1"
    assert "contextual bandit chose" in d.explanation and d.gateway in d.explanation


def test_sampling_follows_the_pmf(catalog, ctx):
    r = router(catalog)
    picks = [decide(r, ctx(), seed=s).gateway for s in range(2000)]
    assert picks.count("stripe") / 2000 == pytest.approx(0.6, abs=0.04)
    assert picks.count("solana") / 2000 == pytest.approx(0.1, abs=0.03)


def test_fallbacks_are_ranked_by_probability(catalog, ctx):
    d = next(x for s in range(100) if (x := decide(router(catalog), ctx(), seed=s)).gateway == "solana")
    assert d.fallbacks == ("stripe", "amazon_pay")


def test_open_circuit_is_eliminated(catalog, ctx):
    health = {"stripe": GatewayHealth(WindowStats(40, 30), Breaker("open", 990.0))}
    d = decide(router(catalog), ctx(), health)
    assert d.candidates == ("amazon_pay", "solana") and "stripe" not in d.fallbacks
    assert "circuit open: stripe" in d.explanation


def test_half_open_gateway_gets_the_probe_share(catalog, ctx):
    health = {"stripe": GatewayHealth(WindowStats(), Breaker("open", 900.0))}  # cooldown elapsed at 1000
    d = decide(router(catalog), ctx(), health)
    assert dict(zip(d.candidates, d.pmf)) == pytest.approx({"stripe": 0.05, "amazon_pay": 0.95 * 0.75,
                                                            "solana": 0.95 * 0.25})
    assert d.fallbacks[-1] == "stripe" or d.gateway == "stripe"  # probes rank last among fallbacks
    assert "probing: stripe" in d.explanation


def test_every_circuit_open_degrades_instead_of_failing(catalog, ctx):
    open_ = GatewayHealth(WindowStats(40, 40), Breaker("open", 999.0))
    d = decide(router(catalog), ctx(), {g: open_ for g in ("stripe", "amazon_pay", "solana")})
    assert len(d.candidates) == 3 and "routing degraded" in d.explanation


def test_action_features_carry_the_recent_error_rate(catalog, ctx):
    r = router(catalog)
    decide(r, ctx(), {"amazon_pay": GatewayHealth(WindowStats(10, 2), Breaker())})
    assert "err:0.200" in r.policy.seen[-1][1] and "err:0.000" in r.policy.seen[-1][0]


def test_volume_split_overrides_the_bandit(catalog, ctx):
    r = router(catalog)
    d = decide(r, ctx(merchant_id="m_split_demo"))
    assert d.mode == "split" and dict(zip(d.candidates, d.pmf)) == pytest.approx(
        {"stripe": 0.7, "amazon_pay": 0.3, "solana": 0.0})
    assert d.gateway in ("stripe", "amazon_pay") and r.policy.seen == []


def test_pin_rule(catalog, ctx):
    raw_catalog = Catalog(catalog.version, catalog.gateways, catalog.country_region,
                          {"m_pin": type(catalog.rules_for("x"))(pin="amazon_pay")})
    d = decide(router(raw_catalog), ctx(merchant_id="m_pin"))
    assert (d.gateway, d.propensity, d.mode) == ("amazon_pay", 1.0, "pinned")


def test_only_a_bandit_decision_carries_the_policys_version(catalog, ctx):
    """An endpoint-served policy reports the model behind this thread's last distribution: a rule's decision,
    which asked it nothing, must not carry that (stale) version."""
    r = router(catalog)
    assert decide(r, ctx()).policy_version == "fake-1"  # the bandit
    r.policy.version = "fake-2"  # what an endpoint policy would report after later calls
    assert decide(r, ctx(merchant_id="m_split_demo")).policy_version == "rule:split"
    assert decide(r, ctx(method="solana_wallet", currency="USD", country="US")).policy_version == "rule:only"


def test_single_eligible_gateway_skips_the_policy(catalog, ctx):
    r = router(catalog)
    d = decide(r, ctx(method="solana_wallet", currency="USD", country="US"))
    assert (d.gateway, d.propensity, d.mode, d.fallbacks) == ("solana", 1.0, "only", ())


def test_excluded_gateways_for_a_retry(catalog, ctx):
    d = decide(router(catalog), ctx(), excluded=frozenset({"stripe"}))
    assert "stripe" not in d.candidates + d.fallbacks
    with pytest.raises(NoEligibleGateway):
        decide(router(catalog), ctx(currency="GBP", country="GB"), excluded=frozenset({"stripe", "amazon_pay"}))
