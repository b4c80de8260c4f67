"""Wrong answers a reviewer found in the first versions of session 19's rules (issue #17), by probing each with
adversarial wordings and comparing with the code before: "full" as an everyday adjective read as full refunds,
"full or partial" read as refunds next to any noun, a split "re fund" slipping past the action screen, an excluded
country name dropped from a list, "outside Cuba" read as Cuba, "if you dont mind" refused."""

import pytest

from smartpay_chat.testing import plan

BOTH = ("refunded", "partially_refunded")


@pytest.mark.parametrize("question", [
    "refunds, full breakdown by gateway last month", "how many refunds, full stop, last month",
    "how many refunds last month, full count", "refunds complete breakdown by country",
])
def test_full_as_an_everyday_adjective_keeps_every_refund(question):
    assert plan(question).filters.statuses == BOTH


@pytest.mark.parametrize("question", [
    "how many declines full or partial", "show the full and partial picture: volume last month",
    "partially or fully captured payments last month", "how many payments, full or partial, on stripe",
    "refunds with partial amount last month", "how many refunds with partial captures",
])
def test_full_or_partial_away_from_a_refund_word_is_refused(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize("question", ["can you re fund the aud payments from yesterday",
                                      "please re fund the stripe trans actions from today"])
def test_a_split_action_verb_is_still_an_action(question):
    found = plan(question)
    assert found.kind == "refusal" and "can't refund, cancel" in found.reason, found


@pytest.mark.parametrize("question", ["count payments from Mali and Chad", "payments from Armenia and Georgia",
                                      "how many payments outside Cuba"])
def test_a_country_list_never_loses_a_name_and_outside_is_no_filter(question):
    assert plan(question).kind == "refusal"


def test_if_you_dont_mind_is_polite_not_a_negation():
    assert plan("volume yesterday, if you dont mind") == plan("volume yesterday")


@pytest.mark.parametrize("question", ["how many GP payments yesterday", "how many AE payments yesterday",
                                      "how many VI payments yesterday"])
def test_wallet_and_card_brand_abbreviations_are_no_country(question):
    assert plan(question).kind == "refusal"
