"""Money in minor units: currency exponents and the decimal strings some providers want."""

from __future__ import annotations

from decimal import Decimal

from smartpay_shared.money import exponent  # the one table of exponents (ISO 4217 + SOL, USDC)

__all__ = ["exponent", "from_decimal_string", "to_decimal_string"]


def to_decimal_string(amount: int, currency: str) -> str:
    """1234 USD -> '12.34'; 1234 JPY -> '1234'."""
    exp = exponent(currency)
    value = Decimal(amount).scaleb(-exp)
    return f"{value:.{exp}f}"


def from_decimal_string(value: str, currency: str) -> int:
    """'12.34' USD -> 1234; refuses sub-minor-unit precision. Anything else than a finite decimal
    (garbage, NaN, Infinity from a provider) is a ValueError too: one error type for callers."""
    try:
        scaled = Decimal(value).scaleb(exponent(currency))
    except (ArithmeticError, TypeError) as e:  # InvalidOperation, Overflow
        raise ValueError(f"{value!r} is not a decimal amount") from e
    if not scaled.is_finite():
        raise ValueError(f"{value!r} is not a finite amount")
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} {currency} is not a whole number of minor units")
    return int(scaled)
