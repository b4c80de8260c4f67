"""The PAN guard: no document may carry anything that looks like a full card number (the shared
definition in smartpay_shared.pan). Only the last four digits may be indexed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from smartpay_chat.domain.errors import CardNumberFound
from smartpay_shared import pan

def contains_card_number(text: str) -> bool:
    """The one definition of a card number (smartpay_shared.pan), also when glued to letters."""
    return pan.contains_pan(text, in_words=True)


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
