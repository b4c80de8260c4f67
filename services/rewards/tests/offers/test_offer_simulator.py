"""The response models the offer policies are judged on: seeded, and their expected rewards are the mean of
their sampled ones."""

import numpy as np
import pytest

from smartpay_rewards.offers.catalogue import default_catalogue
from smartpay_rewards.offers.features import customer_features
from smartpay_rewards.offers.simulator import KINDS, RESPONSE_MODELS

CATALOGUE = default_catalogue()


@pytest.fixture(params=sorted(RESPONSE_MODELS))
def model(request):
    return RESPONSE_MODELS[request.param](CATALOGUE)


def test_a_seed_gives_the_same_customers_and_rewards(model):
    a, b = model.customers(150, seed=5), model.customers(150, seed=5)
    assert a.histories == b.histories
    assert all(np.array_equal(a.traits[k], b.traits[k]) for k in a.traits)
    actions = np.arange(150) % len(CATALOGUE)
    assert np.array_equal(model.sample_rewards(a, actions, seed=9), model.sample_rewards(b, actions, seed=9))
    assert not np.array_equal(model.sample_rewards(a, actions, seed=9), model.sample_rewards(a, actions, seed=10))
    assert model.customers(150, seed=6).histories != a.histories


@pytest.mark.parametrize("offer_id", ["none", "3x-grocery-14d", "2x-travel-7d"])
def test_expected_rewards_are_the_mean_of_sampled_rewards(model, offer_id):
    cohort = model.customers(1500, seed=2)
    actions = np.full(len(cohort), CATALOGUE.index(offer_id))
    expected = model.expected_rewards(cohort)[:, actions[0]]
    sampled = np.mean([model.sample_rewards(cohort, actions, seed=s) for s in range(20)], axis=0)
    se = sampled.std(ddof=1) / np.sqrt(len(sampled))
    assert abs(sampled.mean() - expected.mean()) < 4 * se


def test_the_policy_sees_histories_not_traits(model):
    cohort = model.customers(400, seed=3)
    top_kind = np.array(KINDS)[cohort.traits["weekly"].argmax(axis=1)]
    seen = np.array([customer_features(h, cohort.now).top_category for h in cohort.histories])
    # the features recover the main category from the purchases the simulator wrote, most of the time
    assert (seen == top_kind).mean() > 0.6
    assert model.expected_rewards(cohort).shape == (400, len(CATALOGUE))
