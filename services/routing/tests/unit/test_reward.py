"""The reward, defined once, against hand-computed values."""

import pytest

from smartpay_routing.domain.reward import cost, reward


def test_approval_pays_the_margin_minus_the_fee_share_minus_latency():
    # fee 3% of the amount at a 20% margin = 0.15 of the margin; 500 ms at 0.02/s = 0.01
    assert reward(True, 0.03, 500) == pytest.approx(1 - 0.15 - 0.01)


def test_decline_earns_nothing_but_still_costs_latency():
    assert reward(False, 0.03, 2000) == pytest.approx(-0.04)


def test_latency_is_capped_and_missing_latency_is_free():
    assert reward(False, 0.0, 60_000) == pytest.approx(-0.2)
    assert reward(True, 0.0, None) == 1.0


def test_cost_is_negated_reward():
    assert cost(0.7) == -0.7
