"""The misses of heldout_i's blind measurement (issue #17, docs/chat.md), fixed at their cause as rules: a trailing
first-person aside ("..., I'm replying to a customer") is set aside like a story, under the story rule's guards; a
day range written with an en or em dash ("10–16 November 2026") is a range like "10-16 November", its year kept;
"today" is a window even for pending payments (only "now" words mean the state now). And the decision docs/chat.md
records: "how much money was that?" after a count of refunds keeps the refunded filter it inherits."""

import pytest

from smartpay_chat.testing import fields, plan


# 1. a trailing first-person aside


@pytest.mark.parametrize("aside", [
    "I'm replying to a customer", "I am writing to a customer", "we're checking", "we are replying to a buyer",
])
def test_a_trailing_first_person_aside_is_set_aside(aside):
    found = fields(f"Decline reasons for card payments yesterday, {aside}")
    assert found == fields("Decline reasons for card payments yesterday")
    assert (found["group_by"], found["filters"]["methods"], found["window"]) == (
        ["reason"], ["card"], {"period": "yesterday"})


@pytest.mark.parametrize("question", [
    "decline reasons for card payments yesterday, I'm checking last week",  # a window of its own
    "decline reasons for card payments yesterday, I'm looking at stripe",  # a value the question lacks
    "decline reasons for card payments yesterday, I'm only checking euros",  # narrows
    "decline reasons for card payments yesterday, I am asking about refunds",  # a status word
    "decline reasons for card payments yesterday, I'm replying to premium customers",  # a kind of customer
    "decline reasons for card payments yesterday, I'm replying to a customer in Tokyo",  # a city
    "decline reasons for card payments yesterday, I'm checking the volume",  # a figure word
    "decline reasons for card payments yesterday, I'm replying to a customer from France",  # a value
])
def test_an_aside_that_could_change_the_plan_is_still_refused(question):
    assert plan(question).kind == "refusal"


def test_a_first_person_clause_before_the_question_is_read_as_an_aside_too():
    # refused until heldout_s's round (heldout_n: "..., I am new with the register, but could you tell me ..."): in
    # front of the question it passes the same checks as after it, so what could change the plan is still refused
    assert plan("I'm replying to a customer, decline reasons for card payments yesterday").kind == "aggregate"
    for question in ("I'm looking at stripe, decline reasons for card payments yesterday",
                     "I'm checking last week, decline reasons for card payments yesterday",
                     "I'm replying to a customer in Tokyo, decline reasons for card payments yesterday"):
        assert plan(question).kind == "refusal", question


# 2. a day range with an en / em dash


@pytest.mark.parametrize("question", [
    "Decline rate by country, 10–16 November 2026", "decline rate by country 10—16 November 2026",
    "decline rate by country, 10 – 16 Nov 2026", "decline rate by country 10-16 November 2026",
    "decline rate by country 10–16 November", "decline rate by country, Nov 10 — Nov 16",
    "decline rate by country, 10 November—16 November 2026",
])
def test_a_day_range_with_a_dash_is_a_range(question):
    found = fields(question)
    assert (found["metric"], found["group_by"]) == ("decline_rate", ["country"])
    assert found["window"] == {"period": "between", "start_date": "2026-11-10", "end_date": "2026-11-16"}


def test_the_year_of_a_dashed_range_is_kept_never_replaced():
    assert fields("volume 10–16 November 2025")["window"] == {
        "period": "between", "start_date": "2025-11-10", "end_date": "2025-11-16"}
    assert plan("volume 10–16 November 2027").kind == "refusal"  # the future


# 3. "today" for pending payments


@pytest.mark.parametrize("question", [
    "Pending payments - count - today", "how many pending payments today", "pending payments so far today",
])
def test_today_is_a_window_for_pending_payments_too(question):
    found = fields(question)
    assert (found["metric"], found["filters"], found["window"]) == (
        "count", {"statuses": ["pending"]}, {"period": "today"})


@pytest.mark.parametrize("question", ["how many pending right now", "payments in flight at the moment",
                                      "how many payments are pending as of now"])
def test_pending_now_is_still_the_state_now(question):
    found = fields(question)
    assert found["filters"] == {"statuses": ["pending"]} and "window" not in found


# 4. the decision: "how much money was that?" after a count of refunds keeps the refunded filter


@pytest.mark.parametrize("first", ["How many refunds were there last week?",
                                   "How many payments were refunded this week?"])
def test_the_money_of_the_refunds_counted_keeps_their_filter(first):
    found = fields("how much money was that?", plan(first))
    assert (found["metric"], found["filters"]) == (
        "refund_total", {"statuses": ["refunded", "partially_refunded"]})


@pytest.mark.parametrize("question", [
    "decline reasons for card payments yesterday, I am replying at 9 am",  # a time of day
    "decline reasons for card payments yesterday, I am replying about approvals",  # a status word after "I am"
    "decline reasons for card payments yesterday, I'm checking the am shift",  # the verb, then the time word
    "decline reasons for card payments yesterday, I am looking at the am batch",
    "decline reasons for card payments yesterday, I’m checking the am shift",  # a typographic apostrophe
])
def test_only_the_verb_am_of_the_aside_is_set_aside(question):
    assert plan(question).kind == "refusal"
