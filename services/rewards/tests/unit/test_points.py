"""The earn rule: floor(major amount x rate) with the currency's exponent, exactly; the cumulative clawback."""

from decimal import Decimal

import pytest

from smartpay_rewards.domain.points import EarnRates, InvalidEarnRate, clawback_target, parse_rate, points_for


@pytest.mark.parametrize(("amount", "currency", "rate", "points"), [
    (1999, "USD", "1", 19),          # 19.99 USD
    (1999, "USD", "1.5", 29),        # 29.985 -> 29
    (1000, "JPY", "1", 1000),        # exponent 0
    (1234, "KWD", "1", 1),           # exponent 3: 1.234
    (10**9, "SOL", "2", 2),          # lamports
    (99, "EUR", "1", 0),             # under one major unit
    (30, "USD", "10", 3),            # 0.30 x 10 = 3.0 exactly (no float error)
])
def test_points_use_the_currency_exponent_and_floor(amount, currency, rate, points):
    assert points_for(amount, currency, Decimal(rate)) == points


def test_rates_are_validated_and_per_merchant_with_a_default():
    rates = EarnRates("1", {"m_gold": "3"})
    assert rates.rate_for("m_gold") == 3 and rates.rate_for("m_other") == 1
    for bad in ("0", "-1", "nan", "abc", "1001"):
        with pytest.raises(InvalidEarnRate):
            parse_rate(bad)


def test_clawback_target_is_proportional_floored_and_capped():
    assert clawback_target(100, 333, 1000) == 33
    assert clawback_target(100, 1000, 1000) == 100
    assert clawback_target(100, 5000, 1000) == 100  # never more than earned
    assert clawback_target(0, 500, 1000) == 0
