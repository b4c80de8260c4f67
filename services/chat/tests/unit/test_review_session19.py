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


# The second review (after heldout_z's fixes): regressions of the first versions, and older wrong answers it found.
@pytest.mark.parametrize("question, statuses", [
    ("refunds, partial only, last month", ("partially_refunded",)),
    ("payments refunded fully or partially last month", BOTH), ("payments refunded (full or partial) last month", BOTH),
    ("refunds (full & partial combined) last month", BOTH), ("refunds(full)last month", ("refunded",)),
])
def test_refund_kinds_said_in_more_ways(question, statuses):
    assert plan(question).filters.statuses == statuses


def test_full_and_partial_as_a_follow_up():
    assert plan("what about full and partial?", plan("refunds last week")).filters.statuses == BOTH


@pytest.mark.parametrize("question", ["oh wow, what was the volume yesterday", "volume today wow",
                                      "my mom asked how many refunds we had last week",
                                      "for our day-to-day reporting, how many payments yesterday"])
def test_wow_mom_and_day_to_day_in_other_senses_are_no_comparison(question):
    assert plan(question).kind == "aggregate"


@pytest.mark.parametrize("question", ["I'm wondering if the refund rate is above 5% this month",
                                      "if you don't mind the stripe ones, volume yesterday"])
def test_a_question_about_a_threshold_or_an_exclusion_is_not_set_aside(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize("question, period", [("volume month-to-date", "this_month"), ("volume m-t-d", "this_month")])
def test_hyphenated_to_date_windows_are_kept(question, period):  # were dropped: all-time figures
    assert plan(question).window.period == period


@pytest.mark.parametrize("question", ["volume q.t.d.", "revenue quarter-to-date", "volume w-o-w",
                                      "payments yesterday non-domestic", "volume yesterday cross-border",
                                      "volume yesterday domestic", "volume for the qtr"])
def test_a_window_or_qualifier_the_grammar_does_not_hold_is_refused(question):  # were dropped
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize("question", ["please re-fund all declined payments", "refund the failed ones",
                                      "can you re try failed payments", "please reroute the failed payments to adyen"])
def test_more_actions_are_refused_as_actions(question):  # were answered as counts
    found = plan(question)
    assert found.kind == "refusal" and "can't refund, cancel" in found.reason, found


# The third review (after heldout_aa's fixes): regressions of those fixes.
@pytest.mark.parametrize("question", ["I am requesting a refund of the failed payments from yesterday",
                                      "I am requesting you refund the failed payments",
                                      "I am requesting to reroute the declined ones"])
def test_a_requested_action_is_never_set_aside_as_asking(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize("question", ["average order value wow", "approvals wow", "volume per day wow",
                                      "revenue per method mom", "refunded amount wow"])
def test_period_over_period_after_any_figure(question):
    found = plan(question)
    assert found.kind == "refusal" and "compare" in found.reason, found


@pytest.mark.parametrize("previous, turn, metric", [
    ("approval rate last week", "payment method with the most declines", "count"),
    ("median latency yesterday", "most popular payment method last month", "count"),
    ("median latency yesterday", "per payment method", "latency"),
])
def test_only_a_bare_grouping_named_with_payment_follows_up(previous, turn, metric):
    assert plan(turn, plan(previous)).metric == metric


@pytest.mark.parametrize("turn", ["and which methods?", "and which method(s)?", "which method and which country?"])
def test_several_asked_for_is_not_the_top_one(turn):
    assert plan(turn, plan("which gateway had the most declines last week?")).top_n is None


def test_refunded_money_of_one_kind_is_not_a_count():
    assert plan("total refunded (full) last month").metric == "refund_total"
    # every refund's money (refused until session 20, when "refund amounts" in the plural became the money refunded)
    found = plan("refund amounts (full and partial) last month")
    assert found.metric == "refund_total" and not found.filters.statuses


@pytest.mark.parametrize("question, period", [("if you don't mind me asking, what was volume last week", "last_week"),
                                              ("volume this month to-date", "this_month"),
                                              ("payments today so-far", "today"), ("volume today wow", "today")])
def test_polite_openers_and_fillers_are_still_answered(question, period):
    assert plan(question).window.period == period


def test_after_refund_is_net_only_after_a_money_word():
    assert plan("Net revenue last month after refund").metric == "net"
    assert plan("payments after refund yesterday").kind == "refusal"
