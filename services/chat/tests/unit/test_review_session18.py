"""The session-18 review of heldout_s..w's planner rules (docs/chat.md): wordings a reviewer found answered wrongly
by a first version of each rule, now refused or answered right."""

import pytest

from smartpay_chat.testing import fields, plan


@pytest.mark.parametrize("question, key, value", [
    ("How much did we take yesterday — Stripe.", "gateways", ["stripe"]),
    ("Approval rate last week -- Germany", "countries", ["DE"]),
    ("How many payments failed yesterday -- Amazon Pay", "gateways", ["amazon_pay"]),
])
def test_a_dash_before_a_value_is_no_sign_off(question, key, value):
    assert fields(question)["filters"][key] == value


def test_a_dash_before_a_window_is_no_sign_off():
    assert fields("Volume -- Last Month")["window"] == {"period": "last_month"}


@pytest.mark.parametrize("question", ["WHAT ABOUT MY REFUNDS TODAY", "HOW MUCH DID WE TAKE YESTERDAY, JUST IN CASE",
                                      "HOW MANY REFUNDS LAST WEEK? ONLY AS A NUMBER"])
def test_a_message_in_capitals_has_no_loose_country_code(question):
    found = plan(question)
    assert found.kind == "refusal" or not found.filters.countries, question


@pytest.mark.parametrize("follow_up", ["only PM", "just mc", "what about ID verification failures"])
def test_an_abbreviation_after_only_is_no_country(follow_up):
    found = plan(follow_up, plan("volume this week"))
    assert found.kind == "refusal" or not found.filters.countries, follow_up


@pytest.mark.parametrize("question", ["how many payments failed in Germany last week? I mean, France",
                                      "how many refunds last month? I mean, partial refunds",
                                      "how much did we take on Stripe yesterday? I mean, PayPal"])
def test_i_mean_correcting_the_question_is_refused(question):
    assert plan(question).kind == "refusal", question


@pytest.mark.parametrize("question", ["send the total refund to the customer",
                                      "send the total amount back to the customer",
                                      "send the decline rate by country to slack"])
def test_sending_figures_to_someone_else_is_refused(question):
    assert plan(question).kind == "refusal", question


@pytest.mark.parametrize("question", ["I'm worried about the overnight ones: how many payments failed yesterday?",
                                      "Customers in Munich complained: how many payments failed yesterday, Berlin time?"])
def test_a_story_naming_which_payments_or_a_place_stays_refused(question):
    assert plan(question).kind == "refusal", question


def test_a_rolling_window_restating_a_day_is_two_windows():
    assert plan("how many payments today, i.e. the last 12 hours").kind == "refusal"


@pytest.mark.parametrize("question", ["which 2 gateways were slowest, and the 3 fastest?",
                                      "top 3 gateways by latency, the 2 fastest"])
def test_two_rankings_stay_refused(question):
    assert plan(question).kind == "refusal", question


def test_which_n_gateways_were_fastest_ranks_fastest_first():
    found = plan("which 3 gateways were fastest")
    assert (found.order, found.top_n) == ("asc", 3), found


@pytest.mark.parametrize("question", ["how much did students pay this semester", "how much did members pay us this month"])
def test_a_school_term_is_no_window_we_drop_and_members_are_a_segment(question):
    assert plan(question).kind == "refusal", question
