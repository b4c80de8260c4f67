"""The transaction the model scores, and the checks that make it scoreable."""

from __future__ import annotations

from dataclasses import dataclass

from smartpay_fraud.domain.errors import InvalidTransaction
from smartpay_shared import money, pan

# The one money contract of every API and event (smartpay_shared.money): what /pay accepts, fraud scores.
CURRENCY_EXPONENTS = money.CURRENCY_EXPONENTS
MAX_MAJOR_UNITS = money.MAX_MAJOR_UNITS


def looks_like_card_number(value: str) -> bool:
    """The one definition of a card number (smartpay_shared.pan), also when glued to letters. A shortcut first (it
    runs for four ids of every scored payment): printable ASCII without a backslash (no JSON escape) is read as
    written, and control characters are only removed, so ASCII text with fewer than pan.MIN_DIGITS digits holds
    no card number (nor, a fortiori, one shorter than pan.MIN_DIGITS characters: most ids, counted without looking
    at them); anything else takes the full check."""
    if value.isascii() and "\\" not in value and (len(value) < pan.MIN_DIGITS
                                                  or sum(map(value.count, _DIGITS)) < pan.MIN_DIGITS):
        return False
    return pan.contains_pan(value, in_words=True)


_DIGITS = "0123456789"


_TOKENS = ("card_id", "customer_id", "device_id", "terminal_id")  # ids that must not be raw card numbers
_OPTIONAL = ("card_id", "customer_id", "device_id", "ip_address", "country", "merchant_category", "terminal_id")


@dataclass(frozen=True, slots=True)
class Transaction:
    """One payment as the features see it; ids are opaque tokens, amounts are minor units."""

    transaction_id: str
    timestamp_ms: int
    amount: int
    currency: str
    merchant_id: str
    card_id: str | None = None
    customer_id: str | None = None
    device_id: str | None = None
    ip_address: str | None = None
    country: str | None = None
    merchant_category: str | None = None
    terminal_id: str | None = None  # the merchant's store / till (optional; per-terminal label features)

    def __post_init__(self):
        # An empty or blank id is no entity: it must not make one shared bucket of every payment that sends "".
        # The offline path reads such values as missing too (dataset.normalise, offline_features).
        for name in _OPTIONAL:
            value = getattr(self, name)
            if value is not None and not value.strip():
                object.__setattr__(self, name, None)

    def entity(self, name: str) -> str | None:
        return getattr(self, name)


def validate(txn: Transaction) -> Transaction:
    """Raise InvalidTransaction naming the field; unknown cards/devices/merchants are fine (cold start)."""
    if txn.currency not in CURRENCY_EXPONENTS:
        raise InvalidTransaction("currency", f"{txn.currency!r} is not a supported ISO 4217 currency")
    if txn.amount <= 0:
        raise InvalidTransaction("amount", "must be a positive number of minor units")
    if not txn.merchant_id or not txn.merchant_id.strip():
        raise InvalidTransaction("merchant_id", "must not be empty")
    major = txn.amount / 10 ** CURRENCY_EXPONENTS[txn.currency]
    if major > MAX_MAJOR_UNITS:
        raise InvalidTransaction("amount", f"{major:,.0f} {txn.currency} exceeds the {MAX_MAJOR_UNITS:,} limit")
    for name, value in zip(_TOKENS, (txn.card_id, txn.customer_id, txn.device_id, txn.terminal_id)):
        if value and looks_like_card_number(value):
            raise InvalidTransaction(name, "looks like a raw card number; send a gateway token instead")
    return txn
