"""The PAN guard: no document may carry anything that looks like a full card number (13-19 digits,
optionally grouped by spaces or hyphens, Luhn-valid). Only the last four digits may be indexed."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from smartpay_chat.domain.errors import CardNumberFound

# A maximal run of digits, single spaces or hyphens allowed between them ("4242 4242-4242 4242").
_RUN = re.compile(r"(?<![\d])\d(?:[ -]?\d)*(?![\d])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def contains_card_number(text: str) -> bool:
    for match in _RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return True
    return False


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def refuse_card_numbers(record: Mapping[str, Any]) -> None:
    """Raise CardNumberFound naming the field (never the value) if any string in the record holds a PAN."""
    for path, text in _strings(record, ""):
        if contains_card_number(text):
            raise CardNumberFound(path)
