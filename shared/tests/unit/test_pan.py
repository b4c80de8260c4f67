"""The one card-number definition (smartpay_shared.pan): examples and hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_shared import pan


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if pan.luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable")


pans = st.builds(lambda first, rest: _luhn_complete(first + rest), st.sampled_from("23456"),
                 st.integers(11, 17).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)))


def _grouped(digits: str, sep: str) -> str:
    """A card layout: 4-6-5 for 15 digits, else groups of four, a short last group joined to the one before."""
    if len(digits) == 15:
        return sep.join([digits[:4], digits[4:10], digits[10:]])
    groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
    if len(groups[-1]) < 3:
        groups[-2:] = [groups[-2] + groups[-1]]
    return sep.join(groups)


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
    written = _grouped(digits, sep) if sep else digits
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
