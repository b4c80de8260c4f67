"""The misses of heldout_v's blind measurement (issue #17, docs/chat.md: 153 of 160 right as written): an incident's
"still open" read as pending payments, a "Best, Finance" sign-off read as a ranking, "[incident] can you refund every
payment that failed ..." answered as a count, "i.e." restating the window refused as two windows, "I mean, ..."
restating the question ("mean"), "I want to confirm the sales"."""

import pytest

from datetime import date

from smartpay_chat.domain.narrative import without_sign_off
from smartpay_chat.domain.question import parse
from smartpay_chat.testing import fields, plan


def test_an_incident_still_open_is_not_pending_payments():  # heldout_v 108 (answered with status pending)
    found = fields("median latency on Solana since midnight? the alert is still open")
    assert not found["filters"].get("statuses") and found["metric"] == "latency", found
    assert fields("how many payments are still open")["filters"]["statuses"] == ["pending"]


@pytest.mark.parametrize("question, rest", [
    ("Refunded amount per currency for October (Atlantic/Canary). Best, Finance",
     "Refunded amount per currency for October (Atlantic/Canary)."),
    ("volume yesterday\n-- Sam, Finance", "volume yesterday"),
    ("volume yesterday -- Germany", "volume yesterday -- Germany"),  # a dash in the line is no sign-off (review)
    ("Volume yesterday. Thanks, Stripe/Adyen", "Volume yesterday. Thanks, Stripe/Adyen"),  # a value: read whole
    ("How many declines today?\nThanks, Anna (ops)", "How many declines today?"),
    ("Which gateway did best this week? Cheers", "Which gateway did best this week?"),
    ("Best gateway by approval rate this week?", "Best gateway by approval rate this week?"),  # no sign-off
    ("volume yesterday. Best gateway?", "volume yesterday. Best gateway?"),  # "gateway" is no name
])
def test_a_sign_off_is_set_aside(question, rest):  # heldout_v 129 ("Best" ranked: top 1)
    assert without_sign_off(question, lambda part: parse(part, date(2026, 12, 1))) == rest


def test_a_sign_off_is_no_ranking():
    found = plan("Refunded amount per currency for October (Atlantic/Canary). Best, Finance")
    assert found.kind == "aggregate" and found.top_n is None, found
    assert plan("Best gateway by approval rate this week?").top_n == 1


def test_an_action_behind_a_bracketed_tag_is_refused():  # heldout_v 238 (answered as a count)
    assert plan("[incident] can you refund every payment that failed on Stripe today?").kind == "refusal"
    assert plan("[incident] how many payments failed on Stripe today?").kind == "aggregate"


@pytest.mark.parametrize("question, period", [("refund rate last month, i.e. in November", "last_month"),
                                              ("approval rate this week, i.e. since Monday", "this_week")])
def test_a_window_restated_with_the_same_bounds_is_one_window(question, period):  # heldout_v 114, 172
    assert fields(question)["window"]["period"] == period


def test_two_windows_with_other_bounds_stay_refused():
    for question in ("volume last 7 days, i.e. this week", "refund rate last month, i.e. in October"):
        assert plan(question).kind == "refusal", question


def test_i_mean_restates_the_question_and_confirm_asks_it():  # heldout_v 171, 153
    found = fields("What was the volume yesterday in Asia/Muscat? I mean, how much did we take yesterday?")
    assert found["metric"] == "volume" and found["timezone"] == "Asia/Muscat", found
    assert fields("I want to confirm the sales in yen of this week (JST).")["filters"]["currencies"] == ["JPY"]
    assert plan("what is the mean latency today").kind == "refusal"  # "mean" is still no figure of ours
