"""What counts as a card number (PAN), for everything SmartPay checks: the API's card guard
(smartpay_shared.card_guard), the redaction of error answers, the secret scan, the chat index guard, the
fraud and payment input checks. One definition, here.

A card number is 13-19 digits that pass the Luhn check and start with 2-6 (Mir/Mastercard 2 and 5,
Amex/Diners/JCB 3, Visa 4, Discover/UnionPay/Maestro/RuPay 6: epoch seconds/ms/us/ns all start with 1
until 2033, so timestamps are out), written either
- bare: a run of 13-19 digits with no digit right before or after it, or
- grouped: two or more groups of 3-6 digits joined by one space, dash or dot each ("4242 4242 4242 4242",
  "3782-822463-10005", "4242.4242.4242.4242"; a group of the run may be left out at either end:
  "order 2026 4242 4242 4242 4242" holds one),
and not touching a letter on either side ("x4242424242424242" is an identifier, not a card; a JSON
escape like `\\n` before it does not count as a letter; nor do ideographs, kana and Hangul: those scripts
put no space before a number, and no identifier is built from them), nor the decimals of a number
("0.5473392847560767", a float's 16 fraction digits, is a score, not a card).
Anything matching is a card number: there is no allowlist (test numbers are card numbers too).

The rules apply to the text as a reader sees it (`normalise`), so a disguised number is still one:
- JSON `\\uXXXX` escapes (also double-escaped, and surrogate pairs) are decoded first: the scan reads
  serialised JSON, where a zero-width space is six ASCII characters;
- each character is NFKC-normalised (fullwidth "４", mathematical "𝟒", circled "④", superscript "⁴" -> "4";
  per character, so that every match maps back to the original text);
- every Unicode decimal digit (category Nd: Arabic-Indic "٤", Devanagari "४", Bengali, Thai...) becomes
  its ASCII digit (`unicodedata.decimal`);
- invisible characters are removed: format characters (category Cf: zero-width space U+200B, non-joiner
  and joiner U+200C/D, word joiner U+2060, BOM U+FEFF, soft hyphen U+00AD, bidi marks), combining marks
  (Mn, Me: variation selectors, the keycap of "4️⃣") and control characters other than tab, CR and LF;
- every Unicode space (category Zs: no-break, narrow no-break, figure, ideographic...) is a space,
  every dash (category Pd, minus signs) a dash, and dot look-alikes (middle dot, bullet, one-dot leader)
  a dot: the separators above.

Finding (`find`, `contains_pan`: the card guard, the secret scan, input checks) keeps the letter and
decimals rules, so hex ids and floats do not raise false alarms. Redacting (`redact`: error answers, DLQ
reasons, log lines) is eager by default and also hides a card glued to letters (`in_words=True`): hiding
an identifier costs nothing, a leak does. Matches are reported in the coordinates of the original text
(a match spans the invisible characters inside it), so `redact` replaces exactly what was written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

MIN_DIGITS, MAX_DIGITS = 13, 19
SEPARATORS = " -."
FIRST_DIGITS = frozenset("23456")
MIN_GROUP, MAX_GROUP = 3, 6
REDACTED = "<redacted>"

# A maximal run of (ASCII, after normalisation) digit groups, one separator between two groups.
_RUN = re.compile(r"[0-9]+(?:[ .\-][0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
_ESCAPE_LETTERS = frozenset("ntr")

# What normalisation has to look at: JSON \u escapes (a surrogate pair first) and any character outside
# printable ASCII. Text without either is its own normal form (the fast path: most logs and JSON).
_SPECIAL = re.compile(r"\\+u[dD][89abAB][0-9a-fA-F]{2}\\+u[dD][c-fC-F][0-9a-fA-F]{2}"
                      r"|\\+u[0-9a-fA-F]{4}|[^\t\n\r\x20-\x7e]+")
_ESCAPED = re.compile(r"u([0-9a-fA-F]{4})")
_INVISIBLE = frozenset({"Cf", "Mn", "Me"})
_DASHES = frozenset("\u2212\u2043\u02d7\u2796\ufe63\uff0d")  # minus signs, hyphen bullet (besides Pd)
_DOTS = frozenset("\u00b7\u2022\u2024\u2027\u2219\u22c5\u30fb\uff65\u0387")  # middle dots, bullets, leader
_WIDE = frozenset("WF")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(body: str) -> str:
    """`body` (ASCII digits) with the check digit that makes it pass Luhn: how tests build card numbers
    at run time instead of spelling them out."""
    return next(body + check for check in "0123456789" if luhn_valid(body + check))


def looks_like_pan(value: str) -> bool:
    """True when `value` as a whole is one card number (separators allowed, surrounding spaces and
    invisible characters ignored)."""
    value = normalise(value).strip()
    return any(m.start == 0 and m.end == len(value) for m in find(value))


def is_pan_digits(digits: str) -> bool:
    """True for an ASCII digits-only string that is a card number by length, first digit and Luhn."""
    return (digits.isascii() and digits.isdigit() and MIN_DIGITS <= len(digits) <= MAX_DIGITS
            and digits[0] in FIRST_DIGITS and luhn_valid(digits))


@dataclass(frozen=True)
class Match:
    start: int  # in the original text
    end: int
    digits: str  # ASCII digits only


def normalise(text: str) -> str:
    """`text` as the rules above read it: escapes decoded, NFKC per character, every decimal digit
    ASCII, invisible characters removed, spaces, dashes and dots unified."""
    return _normalised(text)[0]


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


# --- normalisation ------------------------------------------------------------------------------------

@lru_cache(maxsize=1 << 16)
def _char_form(ch: str) -> str:
    """One character as the rules read it ("" for an invisible one)."""
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        category = unicodedata.category(c)
        if category in _INVISIBLE or (category == "Cc" and c not in "\t\n\r"):
            continue
        if category == "Zs":
            out.append(" ")
        elif category == "Pd" or c in _DASHES:
            out.append("-")
        elif c in _DOTS:
            out.append(".")
        elif category == "Nd":
            out.append(str(unicodedata.decimal(c)))
        else:
            out.append(c)
    return "".join(out)


def _unescape(escape: str) -> str:
    units = [int(h, 16) for h in _ESCAPED.findall(escape)]
    if len(units) == 2:
        return chr(0x10000 + ((units[0] - 0xD800) << 10) + (units[1] - 0xDC00))
    return chr(units[0])


def _normalised(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """The normal form, and for each of its characters where it starts and ends in `text` (None, None:
    the text is its own normal form)."""
    if _SPECIAL.search(text) is None:
        return text, None, None
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for special in _SPECIAL.finditer(text):
        a, b = special.span()
        if a > last:
            parts.append(text[last:a])
            starts.extend(range(last, a))
            ends.extend(range(last + 1, a + 1))
        piece = special.group()
        if piece[0] == "\\":
            form = _char_form(_unescape(piece))
            parts.append(form)
            starts.extend([a] * len(form))
            ends.extend([b] * len(form))
        else:
            for i, ch in enumerate(piece, a):
                form = _char_form(ch)
                parts.append(form)
                starts.extend([i] * len(form))
                ends.extend([i + 1] * len(form))
        last = b
    if last < len(text):
        parts.append(text[last:])
        starts.extend(range(last, len(text)))
        ends.extend(range(last + 1, len(text) + 1))
    return "".join(parts), starts, ends


# --- matching ------------------------------------------------------------------------------------------

def _iter(text: str, in_words: bool) -> Iterator[Match]:
    norm, starts, ends = _normalised(text)
    for start, end, digits in _iter_normal(norm, in_words):
        if starts is None or ends is None:
            yield Match(start, end, digits)
        else:
            yield Match(starts[start], ends[end - 1], digits)


def _iter_normal(text: str, in_words: bool) -> Iterator[tuple[int, int, str]]:
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
                    best = (j, (start, end, digits))
            if best:
                yield best[1]
                i = best[0] + 1
            else:
                i += 1


def _is_letter(ch: str) -> bool:
    # Ideographs, kana and Hangul (East Asian wide) are text written without spaces, never an identifier.
    return ch.isalpha() and unicodedata.east_asian_width(ch) not in _WIDE


def _touches_letter(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if _is_letter(before) and not (before in _ESCAPE_LETTERS and start > 1 and text[start - 2] == "\\"):
        return True
    return _is_letter(after)
