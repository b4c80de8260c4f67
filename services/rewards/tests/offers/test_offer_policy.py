"""Offer policies: valid logged propensities with the exploration floor, and learning from logged rewards."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from smartpay_rewards.offers.catalogue import default_catalogue
from smartpay_rewards.offers.features import customer_features
from smartpay_rewards.offers.history import CustomerHistory, Purchase
from smartpay_rewards.offers.policy import (BestSingleOfferPolicy, Chooser, Exploration, LoggedOutcome,
                                            UniformOfferPolicy, VowpalOfferPolicy)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CATALOGUE = default_catalogue()
K = len(CATALOGUE)


def customer(main: str, other: str = "electronics", days: int = 12):
    purchases = [Purchase(NOW - timedelta(days=d), 50.0, main) for d in range(1, days)]
    purchases.append(Purchase(NOW - timedelta(days=3), 20.0, other))
    return customer_features(CustomerHistory(tuple(purchases)), NOW)


GROCER, DINER = customer("supermarket"), customer("restaurant")


def synthetic_log(n: int, seed: int) -> list[LoggedOutcome]:
    """Uniform choices; an offer pays (10) only when it is 2x for 7 days in the customer's main category."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        grocer = rng.random() < 0.5
        action = int(rng.integers(K))
        best = CATALOGUE.index("2x-grocery-7d" if grocer else "2x-dining-7d")
        rows.append(LoggedOutcome(GROCER if grocer else DINER, action, 1.0 / K, 10.0 if action == best else 0.0))
    return rows


@pytest.mark.parametrize("epsilon", [0.05, 0.1, 0.3])
def test_vw_policy_logs_a_distribution_with_the_exploration_floor(epsilon):
    policy = VowpalOfferPolicy(CATALOGUE, Exploration("epsilon", epsilon), seed=3)
    policy.learn_all(synthetic_log(300, seed=1))
    logged = []
    chooser = Chooser(policy, seed=7, sink=logged.append)
    for features in (GROCER, DINER, customer("gas_station"), customer_features(CustomerHistory(), NOW)):
        p = policy.probabilities(features)
        assert p.sum() == pytest.approx(1.0, abs=1e-6)
        assert p.min() >= epsilon / K - 1e-6  # every action keeps its share of the exploration
        choice = chooser.choose(features, customer_id="cus_1", at=NOW)
        decision = logged[-1]
        assert choice.decision is decision and choice.offer.offer_id == decision.action
        assert decision.propensity == pytest.approx(p[CATALOGUE.index(decision.action)])
        assert decision.probabilities == pytest.approx(tuple(p)) and decision.actions == CATALOGUE.ids
        assert decision.policy_version == policy.version and decision.policy_version.startswith("offers-vw-")
        assert decision.decision_id.startswith("ofd_") and decision.context == features.as_mapping()
        assert decision.to_dict()["at"] == NOW.isoformat()
    assert len(logged) == 4 and len({d.decision_id for d in logged}) == 4


def test_squarecb_gives_a_distribution_too():
    policy = VowpalOfferPolicy(CATALOGUE, Exploration("squarecb", gamma_scale=10.0), seed=3)
    policy.learn_all(synthetic_log(200, seed=2))
    p = policy.probabilities(GROCER)
    assert p.sum() == pytest.approx(1.0, abs=1e-6) and p.min() >= 0


def test_learning_from_logged_rewards_moves_to_the_better_offer():
    policy = VowpalOfferPolicy(CATALOGUE, Exploration("epsilon", 0.1), seed=1)
    before = {name: policy.probabilities(f) for name, f in (("grocery", GROCER), ("dining", DINER))}
    policy.learn_all(synthetic_log(4000, seed=5), passes=3)
    for name, features in (("grocery", GROCER), ("dining", DINER)):
        best = CATALOGUE.index(f"2x-{name}-7d")
        after = policy.probabilities(features)
        assert CATALOGUE.ids[policy.greedy(features)] == f"2x-{name}-7d"
        assert after[best] == pytest.approx(1 - 0.1 + 0.1 / K, abs=1e-6)
        assert after[best] > before[name][best]


def test_a_checkpoint_names_the_model_and_restores_it():
    policy = VowpalOfferPolicy(CATALOGUE, seed=1)
    policy.learn_all(synthetic_log(500, seed=3))
    assert policy.version == "offers-vw-untrained+500"
    model = policy.checkpoint_now()
    assert policy.version.startswith("offers-vw-") and "+" not in policy.version
    restored = VowpalOfferPolicy(CATALOGUE, model=model, checkpoint=policy.version)
    assert restored.probabilities(GROCER) == pytest.approx(policy.probabilities(GROCER))


def test_uniform_and_best_single_offer_baselines():
    uniform = UniformOfferPolicy(CATALOGUE)
    assert uniform.probabilities(GROCER) == pytest.approx(np.full(K, 1 / K))
    rows = [LoggedOutcome(GROCER, a, 1 / K, 5.0 if a == 4 else 1.0) for a in range(K) for _ in range(3)]
    best = BestSingleOfferPolicy.fit(CATALOGUE, rows)
    assert best.action == 4 and best.version == f"best-single-{CATALOGUE.ids[4]}"
    assert best.probabilities(DINER)[4] == 1.0
    exploring = BestSingleOfferPolicy(CATALOGUE, 4, exploration=0.2).probabilities(DINER)
    assert exploring.sum() == pytest.approx(1.0) and exploring.min() == pytest.approx(0.2 / K)
    with pytest.raises(ValueError):
        BestSingleOfferPolicy.fit(CATALOGUE, [])


@pytest.mark.parametrize("bad", [dict(algorithm="softmax"), dict(epsilon=1.5), dict(gamma_scale=0.0)])
def test_bad_exploration_settings_are_refused(bad):
    with pytest.raises(ValueError):
        Exploration(**bad)


@pytest.mark.parametrize("propensity, reward", [(0.0, 1.0), (1.5, 1.0), (0.5, float("inf"))])
def test_a_logged_row_with_an_impossible_propensity_or_reward_is_refused(propensity, reward):
    with pytest.raises(ValueError):
        LoggedOutcome(GROCER, 0, propensity, reward)
