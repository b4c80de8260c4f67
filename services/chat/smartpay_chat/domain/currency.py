"""Minor units -> decimal major units, by the one exponent table (smartpay_shared.money)."""

from __future__ import annotations

from decimal import Decimal

from smartpay_shared import money as shared_money

DEFAULT_EXPONENT = shared_money.DEFAULT_EXPONENT
MAX_EXPONENT = 9  # the decimal columns keep 9 places


def exponent(currency: str) -> int:
    return shared_money.exponent(currency)


def to_decimal(minor_units: int, currency: str) -> Decimal:
    """4200 EUR -> Decimal('42.00'); 4200 JPY -> Decimal('4200'); exact, never a float."""
    return Decimal(minor_units).scaleb(-exponent(currency))


def show(value: Decimal) -> str:
    """An exact amount as people read it, never in exponent notation: Decimal 0 in SOL's 9 places is "0E-9" to
    str(), "0.000000000" here; 5 lamports "0.000000005"."""
    return format(value, "f")
