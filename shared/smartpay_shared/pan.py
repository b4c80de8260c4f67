"""What counts as a card number (PAN), for everything SmartPay checks: the redaction of error answers,
the secret scan, the chat index guard, the fraud and payment input checks. One definition, here.

A card number is 13-19 digits that pass the Luhn check and start with 2-6 (Mir/Mastercard 2 and 5,
Amex/Diners/JCB 3, Visa 4, Discover/UnionPay/Maestro/RuPay 6: epoch seconds/ms/us/ns all start with 1
until 2033, so timestamps are out), written either
- bare: a run of 13-19 digits with no digit right before or after it, or
- grouped: two or more groups of 3-6 digits joined by one space, dash or dot each ("4242 4242 4242 4242",
  "3782-822463-10005", "4242.4242.4242.4242"; a group of the run may be left out at either end:
  "order 2026 4242 4242 4242 4242" holds one),
and not touching a letter on either side ("x4242424242424242" is an identifier, not a card; a JSON
escape like `\\n` before it does not count as a letter), nor the decimals of a number
("0.5473392847560767", a float's 16 fraction digits, is a score, not a card).
Anything matching is a card number: there is no allowlist (test numbers are card numbers too).

Finding (`find`, `contains_pan`: the secret scan, input checks) keeps the letter and decimals rules, so
hex ids and floats do not raise false alarms. Redacting (`redact`: error answers, DLQ reasons) is eager by default and also
hides a card glued to letters (`in_words=True`): hiding an identifier costs nothing, a leak does."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MIN_DIGITS, MAX_DIGITS = 13, 19
SEPARATORS = " -."
FIRST_DIGITS = frozenset("23456")
MIN_GROUP, MAX_GROUP = 3, 6
REDACTED = "<redacted>"

# A maximal run of digit groups, one separator between two groups.
_RUN = re.compile(r"\d+(?:[ .\-]\d+)*")
_GROUP = re.compile(r"\d+")
_ESCAPE_LETTERS = frozenset("ntr")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def looks_like_pan(value: str) -> bool:
    """True when `value` as a whole is one card number (separators allowed, surrounding spaces ignored)."""
    value = value.strip()
    return any(m.start == 0 and m.end == len(value) for m in find(value))


def is_pan_digits(digits: str) -> bool:
    """True for a digits-only string that is a card number by length, first digit and Luhn."""
    return (digits.isascii() and digits.isdigit() and MIN_DIGITS <= len(digits) <= MAX_DIGITS
            and digits[0] in FIRST_DIGITS and luhn_valid(digits))


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    digits: str


def find(text: str, *, in_words: bool = False) -> list[Match]:
    """Every card number in `text`, left to right, not overlapping (the longest one at each place);
    `in_words` also those touching a letter."""
    return list(_iter(text, in_words))


def contains_pan(text: str, *, in_words: bool = False) -> bool:
    return next(_iter(text, in_words), None) is not None


def mask(digits: str) -> str:
    """First six and last four, as PCI DSS allows to display: 424242******4242."""
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"


def redact(text: str, replacement: str | Callable[[str], str] = REDACTED, *, in_words: bool = True) -> str:
    """`text` with every card number replaced (by `replacement`, or by `replacement(digits)`); also
    those glued to letters unless `in_words=False`."""
    out, last = [], 0
    for m in _iter(text, in_words):
        out += [text[last:m.start], replacement(m.digits) if callable(replacement) else replacement]
        last = m.end
    return "".join(out) + text[last:] if out else text


def _iter(text: str, in_words: bool) -> Iterator[Match]:
    for run in _RUN.finditer(text):
        groups = [(g.start(), g.end()) for g in _GROUP.finditer(run.group())]
        base = run.start()
        i = 0
        while i < len(groups):
            best = None
            digits = ""
            for j in range(i, len(groups)):
                digits += run.group()[groups[j][0]:groups[j][1]]
                if len(digits) > MAX_DIGITS:
                    break
                grouped = j > i and all(MIN_GROUP <= e - s <= MAX_GROUP for s, e in groups[i:j + 1])
                start, end = base + groups[i][0], base + groups[j][1]
                fraction = j == i and i > 0 and run.group()[groups[i][0] - 1] == "."  # the 16 digits of 0.5473...
                if ((j == i or grouped) and is_pan_digits(digits)
                        and (in_words or not (fraction or _touches_letter(text, start, end)))):
                    best = (j, Match(start, end, digits))
            if best:
                yield best[1]
                i = best[0] + 1
            else:
                i += 1


def _touches_letter(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if before.isalpha() and not (before in _ESCAPE_LETTERS and start > 1 and text[start - 2] == "\\"):
        return True
    return after.isalpha()
