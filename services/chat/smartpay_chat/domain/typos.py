"""Typo tolerance over the grammar's lexicon: a word the grammar does not know is replaced by the one lexicon
word within a small edit distance (optimal string alignment: a swap of two neighbours is one edit).

Guards: a word that is itself a known word (English, or any word of the vocabulary) is never changed
("states" stays, it does not become "status"; "mars" does not become "march"); short words only by a swap of
two neighbours ("rtae" -> "rate") or, for four letters, one letter of a five-letter word dropped ("totl" -> "total"); and when two lexicon words are equally close, nothing is guessed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, or limit + 1 once it is certain to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _swapped(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _dropped(word: str, target: str) -> bool:
    """`word` is the five-letter `target` with one letter left out."""
    return len(target) == 5 and any(target[:i] + target[i + 1:] == word for i in range(5))


def _vowels_dropped(word: str, target: str) -> bool:
    """`word` is `target` with only vowels left out, its first letter kept ("apprvl" -> approval, "refnd" ->
    refund): the way people shorten words in chat. Not "refnd" -> refunds (an "s" would be missing too), and not
    under five letters."""
    if len(word) < 5 or len(word) >= len(target) or word[0] != target[0]:  # "mrch" is not guessed
        return False
    i = 0
    for ch in target:
        if i < len(word) and ch == word[i]:
            i += 1
        elif ch not in "aeiou":
            return False
    return i == len(word)


def correction(word: str, targets: Iterable[str], known: Callable[[str], bool]) -> str | None:
    """The lexicon word `word` is a typo of, or None (known word, too short, too far, or a tie)."""
    if len(word) < 3 or not word.isalpha() or known(word):
        return None
    if len(word) <= 4:  # a swap ("rtae"), or one letter of a five-letter word dropped ("tota", "totl")
        found = {t for t in targets if _swapped(word, t) or (len(word) == 4 and _dropped(word, t))}
        return found.pop() if len(found) == 1 else None
    limit = 1 if len(word) <= 7 else 2
    best, found = limit + 1, set()
    for target in targets:
        if len(target) < 4:
            continue
        d = distance(word, target, limit)
        if d < best:
            best, found = d, {target}
        elif d == best:
            found.add(target)
    if best > limit:  # nothing within the edit distance: a word with its vowels left out, if exactly one fits
        dropped = {t for t in targets if _vowels_dropped(word, t)}
        return dropped.pop() if len(dropped) == 1 else None
    if len(found) == 2:  # "reasosn": reason / reasons; the one of the typo's length, else the longer
        short, long_ = sorted(found, key=len)
        if long_.startswith(short):
            return long_ if len(long_) == len(word) or len(short) != len(word) else short
    return found.pop() if len(found) == 1 else None


def near(word: str, targets: Iterable[str], known: Callable[[str], bool]) -> bool:
    """An unknown word within typo distance of some lexicon word, even when no single correction was chosen (a
    tie: "refundd" is as close to refund, refunds and refunded): it may change the plan, so it is not ignored."""
    if len(word) < 4 or not word.isalpha() or known(word):
        return False
    if len(word) == 4:
        return any(_swapped(word, t) or _dropped(word, t) for t in targets)
    limit = 1 if len(word) <= 7 else 2
    return any(distance(word, t, limit) <= limit or _vowels_dropped(word, t) for t in targets if len(t) >= 4)


def correct(text: str, targets: frozenset[str], known: Callable[[str], bool]) -> tuple[str, dict[str, str]]:
    """The text with each misspelt word replaced, and what was replaced (shown to the caller in the plan's words)."""
    fixed: dict[str, str] = {}

    def replace(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in fixed:
            return fixed[word]
        target = correction(word, targets, known)
        if target:
            fixed[word] = target
        return target or word

    return re.sub(r"[a-z]+", replace, text), fixed
