"""The misses of heldout_r's blind measurement (issue #17, docs/chat.md: 154 of 160 right as written): "please share
the count" read as a share (a rate), "break that down by country too" replacing the grouping, "slowest 2 gateways"
losing its number to the latency words, "the average of the ticket", "box office revenue" (a chat export's speaker label, "Markus:", stays
refused)."""

import pytest

from smartpay_chat.testing import fields, plan


def test_share_as_a_verb_is_not_a_rate():  # heldout_r 146 (answered as the decline rate)
    found = fields("Please share the count of declined payments yesterday as per Colombo time.")
    assert found["metric"] == "count" and set(found["filters"]["statuses"]) == {"failed", "declined_fraud"}, found
    assert fields("what share of payments were declined yesterday")["metric"] == "decline_rate"
    assert fields("could you share what share of payments were declined today")["metric"] == "decline_rate"


def test_a_grouping_added_with_too():  # heldout_r 187 (the gateway grouping was replaced)
    base = plan("approval rate split by gateway for this week")
    assert plan("break that down by country too", base).group_by == ("gateway", "country")
    assert plan("by country as well", base).group_by == ("gateway", "country")
    assert plan("by country", base).group_by == ("country",)  # without "too": replaced, as before
    # "also" asks another question, not a second grouping (the session's review)
    assert plan("Also, what's the count by country?", plan("volume by gateway last week")).group_by == ("country",)


@pytest.mark.parametrize("question, n, order", [("slowest 2 gateways by median latency last week", 2, "desc"),
                                                ("fastest 3 countries by p95 latency", 3, "asc")])
def test_a_number_after_slowest(question, n, order):  # heldout_r 154 (refused: "a number")
    found = plan(question)
    assert found.kind == "aggregate" and (found.top_n, found.order) == (n, order), found


def test_the_average_of_the_ticket():  # heldout_r 89
    assert fields("the average of the ticket in dollars this month")["metric"] == "average_order_value"
    assert plan("average of the refund amounts").kind == "refusal"


def test_box_office_revenue_and_no_speaker_label():  # heldout_r 125
    found = fields("box office revenue yesterday in Vienna time pls")
    assert found["metric"] == "volume" and found["timezone"] == "Europe/Vienna", found
    # a speaker label is not set aside (the session's review): an unknown capitalised word before a colon may be a
    # gateway, a region or a segment the question is about
    for question in ("Markus: box office revenue yesterday", "Adyen: volume yesterday", "Premium: volume last week",
                     "Tokyo: volume yesterday", "Online Store: volume yesterday"):
        assert plan(question).kind == "refusal", question
    assert plan("Stripe: volume yesterday").filters.gateways == ("stripe",)  # a value is read, never set aside
