"""The PAN guard: 13-19 digit Luhn-valid runs (grouped or not) are card numbers; other digits are not."""

import pytest

from smartpay_chat.domain.card_numbers import contains_card_number, refuse_card_numbers
from smartpay_chat.domain.errors import CardNumberFound
from smartpay_shared.pan import luhn_valid


def test_luhn():
    assert luhn_valid("4242424242424242") and luhn_valid("79927398713")
    assert not luhn_valid("4242424242424241")


@pytest.mark.parametrize("text", [
    "4242424242424242", "card 4242 4242 4242 4242 declined", "4000-0000-0000-0002", "x5555555555554444y",
    "4222222222222",  # 13-digit Visa test number
    "6011000990139424", "378282246310005", "3530111333300000", "6250941006528599",  # Discover, Amex, JCB, UnionPay
    "4000000000000000006",  # 19 digits
    "pay_4242424242424242x",  # letters around it do not make it safe
])
def test_card_numbers_are_found(text):
    assert contains_card_number(text)


@pytest.mark.parametrize("text", [
    "4242", "ends in 4242", "424242424242", "4242424242424241",  # 12 digits; Luhn-invalid
    "42424242424242424242",  # 20 digits: longer than any card number
    "2026-11-30T09:00:00+00:00", "+49 30 1234567",
    "order 1234  5678 9012 3456",  # a double space breaks the run into short pieces
])
def test_other_digits_are_not(text):
    assert not contains_card_number(text)


def test_refuse_names_the_path_never_the_value():
    refuse_card_numbers({"a": "fine", "b": [1, 2.5, None, {"c": "ok 1234"}]})
    with pytest.raises(CardNumberFound) as caught:
        refuse_card_numbers({"a": "fine", "b": [{"c": "no"}, {"c": "4111 1111 1111 1111"}]})
    assert caught.value.field == "b[1].c"
    assert "4111" not in str(caught.value)
