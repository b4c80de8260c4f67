"""Money in minor units: currency exponents and the decimal strings some providers want."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 exponents that differ from 2; everything else has 2 decimals.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
              "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "SOL": 9, "USDC": 6}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


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
