"""What people say rather than type, as the grammar reads it (pure string functions, on normalised text):

- **numbers in words -> digits**: cardinals ("forty eight hours" -> "48 hours", "five hundred dollars" -> "500
  dollars", "two thousand and five" -> "2005"), years said in pairs ("twenty twenty six" -> "2026"), and ordinals
  ("ninety fifth percentile" -> "95th percentile", "the fifteenth of november" -> "the 15th of november").
  A lone "one" stays a word ("which one", "the one tried first") unless a currency or a unit follows ("over one
  euro", "the past one hour"), and so do a lone "first" and "second" ("the first gateway tried", "a second
  gateway"), except next to a month or before "percentile", where they can only be a day or a rank ("november
  first", "the second of march"). Every other number becomes digits, so a number the grammar cannot place is
  refused as a number, never ignored as an English word ("the third busiest gateway" is refused, not answered
  as the busiest). A range whose scale word is said once ("between two and five hundred": two or two hundred?)
  stays in words, and number words left over are refused.
- **homophones, only where one reading fits**: "buy" / "bye" before a grouping ("approval rate buy gateway"
  -> "by gateway"), "weak" after last / this / past / previous / prior / next / per / every ("last weak" -> "last
  week"), and "sells" where a noun stands (first, or after total / our / the / gross / net / daily / of / in /
  for ...: "total sells this month") -> "sales", not the verb ("which gateway sells the most").
"""

from __future__ import annotations

import re

from smartpay_chat.domain.grammar import GROUP_RE, MONTHS
from smartpay_chat.domain.places import CURRENCY_CODES, CURRENCY_NAMES

UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
         "nine": 9}
TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                 "eighth": 8, "ninth": 9}
ORDINAL_TEENS = {"tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
                 "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19}
ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
                "seventieth": 70, "eightieth": 80, "ninetieth": 90}
SCALES = {"hundred": 100, "thousand": 1000}
_CARDINAL_PARTS = {**UNITS, **TEENS, **TENS}
_ORDINALS = {**ORDINAL_UNITS, **ORDINAL_TEENS, **ORDINAL_TENS}
_WORD = "|".join(sorted((*_CARDINAL_PARTS, *_ORDINALS, *SCALES), key=len, reverse=True))
# A run of number words: "forty eight", "five hundred and twenty", "twenty twenty six", "a thousand".
_RUN = re.compile(rf"\b(?:a\s+(?=(?:hundred|thousand)\b))?(?:{_WORD})(?:(?:\s+and)?(?:\s+|-)(?:{_WORD}))*\b")
# Words a lone "first" / "second" / "one" must stand next to for it to be a number: a month, "percentile".
_MONTH_WORDS = frozenset(MONTHS)
# Every number word (the leftover judge refuses one it finds, except the lone words that need not be numbers).
NUMBER_VOCAB = frozenset((*_CARDINAL_PARTS, *_ORDINALS, *SCALES))
_RANK_NEXT = frozenset({"percentile", "percentiles", "pct"})
# Words after which a lone "one" is the number 1: a currency or a unit ("over one euro", "the past one hour").
_UNIT_NEXT = frozenset({*(name.split()[0] for name in CURRENCY_NAMES), *(c.lower() for c in CURRENCY_CODES),
                        "hour", "hours", "day", "days", "week", "weeks", "month", "months", "percent", "cent", "cents"})


def digits(text: str) -> str:
    """Numbers said in words, written in digits (see the module's doc)."""
    def replace(m: re.Match[str]) -> str:
        before = re.findall(r"[a-z0-9]+", text[:m.start()])[-2:]
        after = re.findall(r"[a-z0-9]+", text[m.end():])[:4]
        return " ".join(_render(re.findall(r"[a-z]+", m.group(0)), before, after))

    return _RUN.sub(replace, text)


def homophones(text: str) -> str:
    """"buy gateway" -> "by gateway", "last weak" -> "last week", "sells" -> "sales" (see the module's doc)."""
    text = re.sub(rf"\b(?:buy|bye)\s+(?=(?:the\s+)?(?:payment\s+)?{GROUP_RE}\b)", "by ", text)
    text = re.sub(r"\b(last|this|past|previous|prior|next|per|every|each)\s+((?:\d+\s+)?)weak(s?)\b", r"\1 \2week\3",
                  text)
    return re.sub(r"(^|\b(?:total|totals|our|my|the|gross|net|daily|hourly|weekly|monthly|all|overall|card|online"
                  r"|of|in|for|on)\s+)sells\b", r"\1sales", text)


def _render(words: list[str], before: list[str], after: list[str]) -> list[str]:
    items: list[tuple[int, bool, list[str]] | str] = []  # (value, is an ordinal, its words), or a word kept
    i = 0
    while i < len(words):
        got = _year(words, i) or _number(words, i)
        if got is None:  # an "and" between two numbers ("between two and five"), kept as a word
            items.append(words[i])
            i += 1
            continue
        value, ordinal, j = got
        lone = words[i:j]
        if len(lone) == 1 and lone[0] in ("one", "first", "second"):
            nxt = (words[j:] + after)[:4]
            counted = lone[0] == "one" and nxt[:1] and nxt[0] in _UNIT_NEXT  # "over one euro", "past one hour"
            if not counted and not _day_or_rank((before + words[:i])[-2:], nxt):
                items.append(lone[0])
                i = j
                continue
        items.append((value, ordinal, lone))
        i = j
    out = []
    for k, item in enumerate(items):
        if isinstance(item, str):
            out.append(item)
        elif _elided_scale(item, items[k + 1:k + 3]):
            out.extend(item[2])  # "between two and five hundred": 2 or 200? kept in words, so it is refused
        else:
            value, ordinal, _ = item
            out.append(f"{value}{_suffix(value)}" if ordinal else str(value))
    return out


def _elided_scale(item, following) -> bool:
    """"two and five hundred", "ten and twenty thousand": a small number, "and", then a number with a scale
    word. People say it for "two hundred and five hundred" as often as for "two and five hundred"."""
    if len(following) < 2 or following[0] != "and" or isinstance(following[1], str):
        return False
    value, ordinal, said = item
    scaled = bool(SCALES.keys() & set(following[1][2]))
    return not ordinal and value < 100 and not SCALES.keys() & set(said) and scaled


def _day_or_rank(prev: list[str], nxt: list[str]) -> bool:
    """A lone "first" / "second" / "one" next to a month ("november first", "march the second", "the first of
    november", "first november"), the start of a day range ("from the first to the seventh of november") or before
    "percentile"; `prev`: the two words before, `nxt`: the four after."""
    if prev[-1:] and (prev[-1] in _MONTH_WORDS or (prev[-1] == "the" and prev[:-1] and prev[0] in _MONTH_WORDS)):
        return True
    if nxt and (nxt[0] in _MONTH_WORDS or nxt[0] in _RANK_NEXT):
        return True
    if nxt[:1] == ["of"] and len(nxt) > 1 and nxt[1] in _MONTH_WORDS:
        return True
    partner = [w for w in nxt[1:3] if w != "the"][:1]
    return nxt[:1] in (["to"], ["and"], ["through"], ["until"], ["till"]) and bool(partner) and (
        partner[0] in _ORDINALS or re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)", partner[0]) is not None)


def _suffix(n: int) -> str:
    if 10 <= n % 100 <= 19:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _below_hundred(words: list[str], i: int) -> tuple[int, bool, int] | None:
    """(value, is an ordinal, next index) of "forty eight", "ninety fifth", "fifteen", "seventh"..."""
    if i >= len(words):
        return None
    w = words[i]
    if w in TENS:
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if nxt in UNITS and UNITS[nxt] > 0:
            return TENS[w] + UNITS[nxt], False, i + 2
        if nxt in ORDINAL_UNITS:
            return TENS[w] + ORDINAL_UNITS[nxt], True, i + 2
        return TENS[w], False, i + 1
    if w in _CARDINAL_PARTS:
        return _CARDINAL_PARTS[w], False, i + 1
    if w in _ORDINALS:
        return _ORDINALS[w], True, i + 1
    return None


def _then(words: list[str], j: int, part) -> tuple[int, bool, int] | None:
    """What follows a scale word: an optional "and", then `part`; not when a scale word follows that part
    ("two hundred and five hundred" is two numbers, not 205 and 100)."""
    k = j + 1 if j < len(words) and words[j] == "and" else j
    found = part(words, k)
    if found is None or (k > j and words[found[2]:found[2] + 1] and words[found[2]] in SCALES):
        return None
    return found


def _below_thousand(words: list[str], i: int) -> tuple[int, bool, int] | None:
    """"five hundred", "a hundred and twenty", "fifteen hundred", or anything below a hundred."""
    w = words[i] if i < len(words) else ""
    multiplier = 1 if w in ("a", "hundred") else (UNITS.get(w) or TEENS.get(w))
    at = i if w == "hundred" else i + 1
    if multiplier and at < len(words) and words[at] == "hundred":
        value = multiplier * 100
        rest = _then(words, at + 1, _below_hundred)
        return (value + rest[0], rest[1], rest[2]) if rest else (value, False, at + 1)
    return None if w == "a" else _below_hundred(words, i)


def _number(words: list[str], i: int) -> tuple[int, bool, int] | None:
    """A cardinal or ordinal up to the thousands: "two thousand and five", "a thousand", "forty eighth"."""
    w = words[i]
    if w in ("a", "thousand") and (w == "thousand" or words[i + 1:i + 2] == ["thousand"]):
        first: tuple[int, bool, int] | None = (1, False, i if w == "thousand" else i + 1)
    else:
        first = _below_thousand(words, i)
    if first is None:
        return None
    value, ordinal, j = first
    if not ordinal and j < len(words) and words[j] == "thousand":
        rest = _then(words, j + 1, _below_thousand)
        return (value * 1000 + rest[0], rest[1], rest[2]) if rest else (value * 1000, False, j + 1)
    return first


def _year(words: list[str], i: int) -> tuple[int, bool, int] | None:
    """A year said in two pairs: "twenty twenty six" (2026), "nineteen ninety nine". Two numbers of ten or
    more in a row cannot be one cardinal, so the pair is read as a year."""
    if words[i] not in ("nineteen", "twenty"):
        return None
    rest = _below_hundred(words, i + 1)
    if rest is None or rest[1] or rest[0] < 10:
        return None
    return (19 if words[i] == "nineteen" else 20) * 100 + rest[0], False, rest[2]
