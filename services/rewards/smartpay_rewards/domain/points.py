"""How many points a captured amount earns: floor(amount in major units x the merchant's earn rate).

Amounts arrive in minor units (as every SmartPay event carries them); the major amount is
minor / 10**exponent of the currency (smartpay_shared.money: 2 for USD/EUR, 0 for JPY, 3 for KWD,
9 for SOL, 6 for USDC). The arithmetic is exact (fractions, never floats): 1999 minor USD at rate
1.5 earns floor(19.99 x 1.5) = floor(29.985) = 29 points."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

from smartpay_shared.money import CURRENCY_EXPONENTS

MAX_EARN_RATE = Decimal(1000)


class InvalidEarnRate(ValueError):
    pass


def parse_rate(value: str | int | Decimal) -> Decimal:
    """An earn rate: a decimal in (0, 1000] (points per major unit)."""
    try:
        rate = Decimal(str(value))
    except InvalidOperation as e:
        raise InvalidEarnRate(f"earn rate {value!r} is not a decimal number") from e
    if not rate.is_finite() or rate <= 0 or rate > MAX_EARN_RATE:
        raise InvalidEarnRate(f"earn rate {value!r} must be above 0 and at most {MAX_EARN_RATE}")
    return rate


def points_for(amount_minor: int, currency: str, rate: Decimal) -> int:
    """Points earned by `amount_minor` minor units of `currency` at `rate` points per major unit."""
    if currency not in CURRENCY_EXPONENTS:
        raise ValueError(f"{currency!r} is not a currency SmartPay takes")
    if amount_minor < 0:
        raise ValueError("amount must not be negative")
    return int(Fraction(amount_minor) * Fraction(rate) / 10 ** CURRENCY_EXPONENTS[currency])  # int() floors a non-negative


def clawback_target(points_earned: int, total_refunded: int, captured: int) -> int:
    """Points clawed back in total once `total_refunded` of `captured` minor units are refunded:
    floor(points_earned x total_refunded / captured), at most points_earned. Cumulative, so any
    sequence of partial refunds claws back exactly what one refund of their sum would (no drift)."""
    if captured <= 0:
        raise ValueError("captured amount must be positive")
    return min(points_earned, points_earned * max(0, total_refunded) // captured)


class EarnRates:
    """The earn rate per merchant, with a default for merchants not listed."""

    def __init__(self, default: str | Decimal = "1", by_merchant: dict[str, str | Decimal] | None = None):
        self.default = parse_rate(default)
        self.by_merchant = {m: parse_rate(r) for m, r in (by_merchant or {}).items()}

    def rate_for(self, merchant_id: str) -> Decimal:
        return self.by_merchant.get(merchant_id, self.default)
