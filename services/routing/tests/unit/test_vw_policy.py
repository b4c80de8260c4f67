"""The VW adapter: its fast predict path agrees with the public Workspace.predict, exploration flags."""

import random

import pytest

from smartpay_routing.adapters.vw_policy import Exploration, VowpalPolicy


def example(rng):
    shared = f"shared |U lamt:{rng.random() * 4:.3f} risk:{rng.random():.3f} cur_EUR met_card reg_EU"
    return shared, ["|G gw_stripe fee:0.32 err:0.000", f"|G gw_amazon_pay fee:0.41 err:{rng.random():.3f}",
                    "|G gw_solana fee:0.15 err:0.000"]


@pytest.mark.parametrize("exploration", [Exploration("squarecb"), Exploration("epsilon", 0.1)])
def test_fast_predict_equals_the_public_predict_on_a_trained_model(exploration):
    rng = random.Random(5)
    policy = VowpalPolicy(exploration, seed=5)
    for _ in range(2000):
        shared, actions = example(rng)
        chosen = rng.randrange(3)
        policy.learn(shared, actions, chosen, -1.0 if chosen == 1 and "lamt:3" in shared else -0.2, 1 / 3)
    differing = 0
    for _ in range(500):
        shared, actions = example(rng)
        fast, public = policy.distribution(shared, actions), policy.distribution_public_api(shared, actions)
        assert sum(fast) == pytest.approx(1.0)
        differing += fast != pytest.approx(public, abs=1e-12)
    assert differing == 0
    assert max(policy.distribution(*example(rng))) > 0.4  # trained: not the uniform start


def test_unknown_exploration_is_rejected():
    with pytest.raises(ValueError, match="unknown exploration"):
        Exploration("thompson").args()
