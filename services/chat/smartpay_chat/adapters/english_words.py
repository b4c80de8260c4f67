"""The English word list the typo corrector's guard uses: a word that is itself English is never "corrected"
into a lexicon word ("states" is not "status", "county" is not "country"). From pyspellchecker's English
frequency dictionary (shipped inside the package, no download), words seen more than 50 times.

The list is derived once and shipped beside this module (`english_words.txt`, one word a line, sorted):
deriving it at start (pyspellchecker's whole gzipped JSON dictionary parsed, then filtered) took 0.21-0.26 s of
the API's init on an idle host, reading the shipped file takes milliseconds. `derive()` is the one definition;
a unit test checks the shipped file against it (so a new pyspellchecker pin fails until the file is
regenerated: `python -m smartpay_chat.adapters.english_words`). A missing file (a package built without its
data) falls back to deriving, with a warning."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

MIN_COUNT = 50
WORDS_FILE = Path(__file__).with_name("english_words.txt")
log = logging.getLogger(__name__)


def derive() -> frozenset[str]:
    """The definition: pyspellchecker's English words seen more than MIN_COUNT times, alphabetic only."""
    from spellchecker import SpellChecker

    frequency = SpellChecker(language="en", distance=1).word_frequency
    return frozenset(w for w, n in frequency.dictionary.items() if n > MIN_COUNT and w.isalpha())


@cache
def english_words() -> frozenset[str]:
    try:
        return frozenset(WORDS_FILE.read_text(encoding="utf-8").split())
    except FileNotFoundError:
        log.warning("%s is missing (a package built without its data): deriving the word list", WORDS_FILE)
        return derive()


def is_known(word: str) -> bool:
    return word in english_words()


def write(path: Path = WORDS_FILE) -> int:
    """Regenerate the shipped list from `derive()`; returns how many words it holds."""
    words = sorted(derive())
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return len(words)


if __name__ == "__main__":
    print(f"{write()} words written to {WORDS_FILE}")
