"""The grounding check for answers a language model phrases: every number in its text must be one of the
figures the engine computed (the result rows) or of the templated answer (its scope: window dates, amount
bounds, the count in scope), compared as exact decimals; every date, time and payment id must appear there
as written. Anything else and the templated answer is used."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

# 1,234.56 / 1234.56 / 42 / -3.5 ; thousands separators are dropped before comparing.
_NUMBER = re.compile(r"(?<![\w.])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])-?\d+(?:\.\d+)?")
# Labels that hold digits but are not figures: percentile names (p95), payment ids, ISO dates and times.
_PERCENTILE = r"\bp\d{1,2}(?:\.\d+)?\b"
_LABELS = re.compile(r"\bpay_[A-Za-z0-9]+\b|\b\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?\b|\b\d{1,2}:\d{2}(?::\d{2})?\b")
_NOT_FIGURES = re.compile(f"{_PERCENTILE}|{_LABELS.pattern}")


def labels_in(text: str) -> list[str]:
    """Payment ids, dates and times of `text`: checked as written, not as figures."""
    return _LABELS.findall(text)


def numbers_in(text: str) -> list[Decimal]:
    """The figures a reader sees in `text` (labels such as p95 or pay_ ids are not figures)."""
    found = []
    for raw in _NUMBER.findall(_NOT_FIGURES.sub(" ", text)):
        try:
            found.append(Decimal(raw.replace(",", "")))
        except InvalidOperation:  # pragma: no cover - the pattern only matches numerals
            continue
    return found


def _figures(value: Any) -> Iterable[Decimal]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (int, Decimal)):
        yield Decimal(value)
    elif isinstance(value, float):
        yield Decimal(str(value))
        yield Decimal(f"{value:.1f}")
        yield Decimal(f"{value:.2f}")
    elif isinstance(value, str):
        yield from numbers_in(value)


def allowed_figures(rows: Iterable[Mapping[str, Any]], templated: str, *, rates: bool) -> set[Decimal | str]:
    """Every figure a phrased answer may show: the rows' values (and a rate as a percentage, as the templated
    answer shows it) plus the numbers of the templated answer itself, which is built from the rows and the plan."""
    allowed: set[Decimal] = set(numbers_in(templated))
    labels = set(labels_in(templated))
    for row in rows:
        for key, value in row.items():
            if isinstance(value, str):
                labels.update(labels_in(value))
            for figure in _figures(value):
                allowed.add(figure)
                if rates and key == "value":
                    allowed.add((figure * 100).quantize(Decimal("0.01")))
    return {a.normalize() for a in allowed} | labels


def ungrounded(text: str, allowed: set[Decimal | str]) -> list[str]:
    """The numbers, dates, times and payment ids of `text` that are not among the allowed ones (empty = grounded)."""
    return ([str(n) for n in numbers_in(text) if n.normalize() not in allowed]
            + [label for label in labels_in(text) if label not in allowed])
