"""Validation of a payment, thresholds -> decisions, contributions -> reasons in plain words."""

import pytest

from smartpay_fraud.domain.decision import Thresholds
from smartpay_fraud.domain.errors import InvalidTransaction
from smartpay_fraud.domain.reasons import describe, top_reasons
from smartpay_fraud.domain.transactions import Transaction, looks_like_card_number, validate


def txn(**kw):
    fields = dict(transaction_id="t1", timestamp_ms=1, amount=1999, currency="EUR", merchant_id="m1", card_id="pm_1")
    return Transaction(**{**fields, **kw})


@pytest.mark.parametrize("kw,field,words", [
    ({"currency": "XYZ"}, "currency", "not a supported"),
    ({"amount": -5}, "amount", "positive"),
    ({"amount": 0}, "amount", "positive"),
    ({"amount": 10**12}, "amount", "exceeds"),
    ({"currency": "JPY", "amount": 20_000_000_000}, "amount", "exceeds"),
    ({"card_id": "4242424242424242"}, "card_id", "raw card number"),
])
def test_invalid_payments_name_their_field(kw, field, words):
    with pytest.raises(InvalidTransaction) as e:
        validate(txn(**kw))
    assert e.value.field == field and words in e.value.message


def test_unknown_entities_and_large_but_plausible_amounts_are_fine():
    assert validate(txn(card_id="pm_never_seen", device_id=None, amount=500_000_00))
    assert not looks_like_card_number("4242424242424241")  # fails Luhn: not a PAN


@pytest.mark.parametrize("value", [
    "pm_1", "card_000123", "", "4242 4242 4242", "424242424242", "tok_4242424242424242", "4242-4242-4242-4242",
    "x" + "4" * 12 + "\x00" + "2", "4242\u200b4242\u200b4242\u200b4242", "\\u0034242424242424242",
    "\uff14242424242424242", "ip 10.0.0.1", "3782-822463-10005", "0.5473392847560767", "\t4242424242424242\n",
    # the length shortcut: 13 ASCII digits is a card number, 12 cannot be; 8 characters that NFKC spells as 16 digits
    # (U+32B7 is "42") are one: only ASCII may be judged by its length
    "4222222222222", "422222222222", "\u32b7" * 8,
])
def test_the_card_number_shortcut_agrees_with_the_shared_definition(value):
    from smartpay_shared import pan

    assert looks_like_card_number(value) == pan.contains_pan(value, in_words=True)


def test_thresholds_decide_and_version_names_the_numbers():
    t = Thresholds(review=0.3, decline=0.8)
    assert [t.decide(s) for s in (0.1, 0.3, 0.79, 0.8, 1.0)] == ["approve", "review", "review", "decline", "decline"]
    assert t.version == Thresholds(0.3, 0.8).version != Thresholds(0.3, 0.81).version
    with pytest.raises(ValueError):
        Thresholds(review=0.9, decline=0.5)


def test_top_reasons_are_the_largest_positive_contributions_in_words():
    names = ["card_count_1h", "amount_log", "card_device_is_new", "hour_of_day"]
    reasons = top_reasons(names, [14.0, 10.0, 1.0, 3.0], [1.5, -0.4, 0.9, 0.01], k=3)
    assert [r.feature for r in reasons] == ["card_count_1h", "card_device_is_new", "hour_of_day"]
    assert reasons[0].description == "14 payments on this card in the last hour"
    assert reasons[1].description == "first payment with this card on this device"
    assert describe("card_sum_24h", 123456.0) == "1,234.56 spent on this card in the last 24 hours"
    assert describe("graph_device_fraud_rate", float("nan")) == "device never seen before"
    assert describe("device_distinct_cards_24h", 1.0) == "1 card on this device in 24 hours"
    assert describe("card_count_24h", float("nan")) == "card count 24h unknown"
