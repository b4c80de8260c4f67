"""The English word list the typo corrector's guard uses: a word that is itself English is never "corrected"
into a lexicon word ("states" is not "status", "county" is not "country"). From pyspellchecker's English
frequency dictionary (shipped inside the package, no download), words seen more than 50 times."""

from __future__ import annotations

from functools import cache

MIN_COUNT = 50


@cache
def english_words() -> frozenset[str]:
    from spellchecker import SpellChecker

    frequency = SpellChecker(language="en", distance=1).word_frequency
    return frozenset(w for w, n in frequency.dictionary.items() if n > MIN_COUNT and w.isalpha())


def is_known(word: str) -> bool:
    return word in english_words()
