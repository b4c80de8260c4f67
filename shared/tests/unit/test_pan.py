"""The one card-number definition (smartpay_shared.pan): examples and hypothesis properties."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_shared import pan
from smartpay_shared.testing.cards import card_numbers, grouped as in_groups




pans = card_numbers




@pytest.mark.parametrize("text", [
    "4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "4242.4242.4242.4242",
    "378282246310005", "3782-822463-10005", "card: 5555555555554444.", "order 2026 4242 4242 4242 4242",
    "\\n4242424242424242\\n", "pay_4242424242424242", "4242 4242-4242.4242",
])
def test_card_numbers_are_found(text):
    assert pan.contains_pan(text)
    assert "4242" not in pan.redact(text).replace("2026", "") or "5555" in text or "3782" in text


@pytest.mark.parametrize("text", [
    "4242424242424241",  # Luhn fails
    "1700000000000001", "1733059200000",  # epoch ms / us: first digit 1
    "x4242424242424242", "4242424242424242abc",  # part of an identifier
    "42424242424242424242",  # 20 digits: another number
    "42 42 42 42 42 42 42 42",  # groups of 2 are not a card layout
    "424242424242",  # 12 digits
])
def test_other_numbers_are_not(text):
    assert not pan.contains_pan(text)
    assert pan.redact(text, in_words=False) == text


def test_redaction_is_eager_finding_is_strict():
    assert pan.redact("x4242424242424242 and pm_4242-4242-4242-4242") == "x<redacted> and pm_<redacted>"
    assert pan.find("x4242424242424242") == [] and pan.contains_pan("x4242424242424242", in_words=True)


@settings(max_examples=200, deadline=None)
@given(digits=pans, sep=st.sampled_from(["", " ", "-", "."]), prefix=st.sampled_from(["", "card ", "{\"n\":\"", "_"]),
       suffix=st.sampled_from(["", " ok", "\"}", ".", ","]))
def test_every_pan_in_any_layout_is_found_and_redacted(digits, sep, prefix, suffix):
    written = in_groups(digits, sep) if sep else digits
    text = prefix + written + suffix
    found = pan.find(text)
    assert [m.digits for m in found] == [digits]
    assert text[found[0].start:found[0].end] == written
    redacted = pan.redact(text)
    assert redacted == prefix + pan.REDACTED + suffix and not pan.contains_pan(redacted)
    assert pan.looks_like_pan(written)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_redaction_leaves_no_pan_and_is_idempotent(text):
    once = pan.redact(text)
    assert not pan.contains_pan(once, in_words=True)
    assert pan.redact(once) == once
    if not pan.contains_pan(text, in_words=True):
        assert once == text


@settings(max_examples=200, deadline=None)
@given(digits=pans)
def test_one_wrong_digit_breaks_luhn(digits):
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert pan.is_pan_digits(digits) and not pan.is_pan_digits(wrong)


def test_mask_keeps_first_six_and_last_four():
    assert pan.mask("4242424242424242") == "424242******4242"
    assert pan.redact("n 4242424242424242", pan.mask) == "n 424242******4242"


def test_the_decimals_of_a_float_are_not_a_card_number():
    """A fraud score's 16 fraction digits passed Luhn in a real run (the scan then failed on the bus archive)."""
    fraction = next(d for d in (f"{n:016d}" for n in range(5473392847560700, 5473392847560800))
                    if pan.is_pan_digits(d))
    assert pan.find(f'{{"fraud_score": 0.{fraction}}}') == []
    assert pan.redact(f"0.{fraction}") == f"0.{pan.REDACTED}"  # redaction stays eager
    assert pan.find(f"card {fraction} ok")  # the same digits on their own are a card
    assert pan.find("4242.4242.4242.4242")  # dotted groups still are


# --- disguises: the rules apply to the text as a reader sees it (pan.normalise) ---------------------------

DECIMAL_ZEROS = [c for c in range(0x110000)
                 if unicodedata.category(chr(c)) == "Nd" and unicodedata.decimal(chr(c)) == 0]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u200e", "\ufe0f", "\x00"]
SPACES = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Zs"]
DASHES = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Pd"] + ["\u2212", "\ufe63"]


def _script(digits: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in digits)


@pytest.mark.parametrize("zero", DECIMAL_ZEROS, ids=lambda z: unicodedata.name(chr(z)).rsplit(" ", 2)[0])
def test_every_decimal_digit_script_is_read_as_ascii(zero):
    digits = pan.luhn_complete("4" + "2" * 14)
    written = _script(digits, zero)
    assert [(m.start, m.end, m.digits) for m in pan.find(f"card {written} ok")] == [(5, 5 + len(written), digits)]
    assert pan.redact(f"card {written} ok") == f"card {pan.REDACTED} ok"


def test_there_are_many_decimal_digit_scripts_and_only_they_are_ascii_digits_after_normalising():
    assert len(DECIMAL_ZEROS) > 50  # ASCII, fullwidth, Arabic-Indic, Devanagari, Bengali, Thai, mathematical...
    assert pan.normalise("".join(chr(z + 7) for z in DECIMAL_ZEROS)) == "7" * len(DECIMAL_ZEROS)


@pytest.mark.parametrize("mark", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_invisible_characters_between_digits_are_removed(mark):
    digits = pan.luhn_complete("5" + "5" * 14)
    written = mark.join(digits)
    assert [(m.start, m.end, m.digits) for m in pan.find(written)] == [(0, len(written), digits)]
    assert pan.redact(written) == pan.REDACTED


@pytest.mark.parametrize("sep", SPACES + DASHES, ids=lambda c: f"U+{ord(c):04X}")
def test_every_unicode_space_and_dash_separates_groups(sep):
    digits = pan.luhn_complete("3" + "7" * 13)
    assert [m.digits for m in pan.find(in_groups(digits, sep))] == [digits]


def test_fullwidth_mathematical_superscript_circled_and_keycap_digits():
    digits = pan.luhn_complete("4" + "0" * 14)
    circled = {"0": "⓪", **{str(d): chr(0x2460 + d - 1) for d in range(1, 10)}}
    superscript = dict(zip("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹", strict=True))
    for written in (_script(digits, 0xFF10), _script(digits, 0x1D7CE), "".join(circled[d] for d in digits),
                    "".join(superscript[d] for d in digits), "".join(d + "\ufe0f\u20e3" for d in digits)):
        assert [m.digits for m in pan.find(written)] == [digits], written


def test_json_escapes_are_read_once_twice_and_as_surrogate_pairs():
    digits = pan.luhn_complete("6011" + "0" * 11)
    disguised = "\u200b".join(_script(digits, 0xFF10)) + " and " + _script(digits, 0x1D7CE)
    once = json.dumps({"note": disguised})  # ensure_ascii: every character above is a \\uXXXX escape
    twice = json.dumps({"body": once})
    assert once.isascii() and twice.isascii()
    assert [m.digits for m in pan.find(once)] == [digits, digits] == [m.digits for m in pan.find(twice)]
    assert json.loads(pan.redact(once)) == {"note": f"{pan.REDACTED} and {pan.REDACTED}"}


def test_the_letter_rule_reads_the_normal_form():
    digits = pan.luhn_complete("4" + "2" * 14)
    assert pan.find("ｘ" + _script(digits, 0xFF10)) == []          # a fullwidth x is an x: an identifier
    assert pan.find("x\u200b" + digits) == []                        # an invisible character separates nothing
    assert [m.digits for m in pan.find("卡号" + digits + "。")] == [digits]  # ideographs are text, not ids


def test_not_cards_in_disguise_either():
    for text in ("٢٠٢٦-١٢-٠١T١١:٢٢:٣٣Z", "０.５４７３３９２８４７５６０７６７", "\u200b".join("1796124159498"),
                 "४२ ४२ ४२ ४२ ४२ ४२ ४२ ४२", "x\u00a0y"):
        assert pan.find(text) == [], text


disguised_pans = st.builds(
    lambda digits, zeros, grouped, sep, marks, prefix, suffix: (digits, prefix + _disguise(
        digits, zeros, grouped, sep, marks) + suffix),
    pans, st.lists(st.sampled_from(DECIMAL_ZEROS), min_size=1, max_size=3), st.booleans(),
    st.sampled_from([" ", "-", ".", "\u00a0", "\u202f", "\u2007", "\u3000", "\u2013", "\u2212", "\u2011"]),
    st.lists(st.tuples(st.integers(0, 30), st.sampled_from(INVISIBLE)), max_size=6),
    st.sampled_from(["", "card ", "n° ", "卡号", '{"n": "', "(", "كارت "]),
    st.sampled_from(["", " ok", "\"}", ")", "。", "!"]))


def _disguise(digits, zeros, grouped, sep, marks):
    chars = [chr(zeros[i % len(zeros)] + int(d)) for i, d in enumerate(digits)]
    written = in_groups("".join(chars), sep) if grouped else "".join(chars)
    out = list(written)
    for position, mark in sorted(marks, reverse=True):
        out.insert(1 + position % max(1, len(out) - 1), mark)  # between two characters of the number
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(disguised_pans)
def test_property_every_disguised_pan_is_found_with_its_digits_and_redacted_whole(case):
    digits, text = case
    assert [m.digits for m in pan.find(text)] == [digits]
    assert [m.digits for m in pan.find(json.dumps(text))] == [digits]  # as the scan reads stored JSON
    redacted = pan.redact(text)
    assert not any(c.isdigit() for c in pan.normalise(redacted)) and pan.REDACTED in redacted


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_property_matches_map_back_to_the_original_text(text):
    for m in pan.find(text, in_words=True):
        assert re.sub(r"[^0-9]", "", pan.normalise(text[m.start:m.end])) == m.digits
