"""The shipped English word list (adapters/english_words.txt) is the derivation from the pinned pyspellchecker,
and loading it never derives again (that parse was most of the API's warm-up)."""

from smartpay_chat.adapters import english_words


def test_the_shipped_list_is_the_derivation():
    shipped = frozenset(english_words.WORDS_FILE.read_text(encoding="utf-8").split())
    assert shipped == english_words.derive(), (
        "regenerate it: python -m smartpay_chat.adapters.english_words")
    assert {"states", "county"} <= shipped and "zzqx" not in shipped


def test_loading_reads_the_file_and_does_not_derive(monkeypatch):
    english_words.english_words.cache_clear()

    def derive():
        raise AssertionError("derived at load although the file is shipped")

    monkeypatch.setattr(english_words, "derive", derive)
    try:
        assert english_words.is_known("county") and not english_words.is_known("contry")
    finally:
        english_words.english_words.cache_clear()


def test_a_missing_file_falls_back_to_the_derivation(monkeypatch, tmp_path):
    english_words.english_words.cache_clear()
    monkeypatch.setattr(english_words, "WORDS_FILE", tmp_path / "absent.txt")
    try:
        assert english_words.english_words() == english_words.derive()
    finally:
        english_words.english_words.cache_clear()


def test_write_round_trips(tmp_path):
    target = tmp_path / "words.txt"
    count = english_words.write(target)
    assert count == len(english_words.derive())
    assert frozenset(target.read_text(encoding="utf-8").split()) == english_words.derive()
