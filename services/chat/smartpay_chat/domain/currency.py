"""ISO 4217 minor-unit exponents: minor units -> decimal major units. Kept here until shared/ owns it."""

from __future__ import annotations

from decimal import Decimal

# Currencies whose exponent is not 2 (ISO 4217 list, amendment 176). Everything else uses 2.
_EXPONENTS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                     "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
    # Not ISO 4217: the crypto units the Solana gateway settles in, as the payment service counts them
    # (lamports, USDC base units).
    "SOL": 9, "USDC": 6,
}
DEFAULT_EXPONENT = 2
MAX_EXPONENT = 9  # the decimal columns keep 9 places


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), DEFAULT_EXPONENT)


def to_decimal(minor_units: int, currency: str) -> Decimal:
    """4200 EUR -> Decimal('42.00'); 4200 JPY -> Decimal('4200'); exact, never a float."""
    return Decimal(minor_units).scaleb(-exponent(currency))
