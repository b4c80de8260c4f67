"""Session 20's adversarial review (a helper, 824 wordings against the code before the session's planner changes):
the wrong answers the first versions of the new rules gave, and the lookups they refused, mended."""

import pytest

from smartpay_chat.testing import fields, plan


def _statuses(found: dict) -> set:
    return set(found.get("filters", {}).get("statuses", []))


@pytest.mark.parametrize("question", ["how many payments from customer Bill Smith this month",
                                      "how much did the cafe make in tips last week",
                                      "how much did we spend on bills", "how many invoices are overdue",
                                      "how many payments came from booking.com", "what was the volume in the may month",
                                      "declines as on date", "how many payments, bar the pending ones",
                                      "bar stripe, how many payments last week"])
def test_refused_not_answered_for_everything(question):
    assert plan(question).kind == "refusal", plan(question)


@pytest.mark.parametrize(("question", "metric", "statuses"), [
    ("our total last week was how many payments?", "count", set()),
    ("what's our total for declined payments today", "count", {"failed", "declined_fraud"}),
    ("my total in refunds last week", "count", {"refunded", "partially_refunded"}),
    ("how much did the shop take in refunds last week", "refund_total", set()),
    ("how many payments were successfully paid but later refunded", "count", {"refunded", "partially_refunded"}),
    ("how many payments were unsuccessfully paid yesterday", "count", {"failed", "declined_fraud"}),
    ("which country had the most euros payments", "count", set()),
    ("give me a grand total of payments last week", "count", set()),
    ("how much did UK customers bring in last month", "volume", set())])
def test_the_figure_asked_for(question, metric, statuses):
    found = fields(question)
    assert found["metric"] == metric and _statuses(found) == statuses, found


@pytest.mark.parametrize("question", ["why did stripe decline pay_SYN00000001", "did we refund pay_SYN00000001",
                                      "when did we refund pay_SYN00000001", "did the customer cancel pay_SYN00000001",
                                      "should we refund pay_SYN00000001?"])
def test_a_question_about_what_happened_to_a_payment_is_a_lookup(question):
    assert plan(question).kind == "lookup"


def test_pending_as_on_date_is_the_state_now():
    found = fields("How many payments are pending as on date?")
    assert _statuses(found) == {"pending"} and "window" not in found


# the second review (the same helper's wordings re-run on the mended code, and ~360 new ones)

@pytest.mark.parametrize("question", ["our total declines last week", "what's our total pending",
                                      "what's our total declined amount last week"])
def test_a_total_of_payments_that_moved_no_money_is_their_count(question):
    assert fields(question)["metric"] == "count"


@pytest.mark.parametrize("question", ["how many quid was that", "how many euros was that, innit?"])
def test_counted_money_of_those_with_nothing_before_is_refused(question):
    assert "no earlier question" in plan(question).reason


def test_counted_money_of_refunds_counted_before_is_their_refunded_amount_in_that_currency():
    found = fields("how many quid was that?", plan("how many refunds last month"))
    assert found["metric"] == "refund_total" and found["filters"]["currencies"] == ["GBP"]


@pytest.mark.parametrize("question", ["how many appointments were paid in cash", "how many bookings were paid online",
                                      "how many invoices were paid late", "mark pay_SYN00000001 as fraud"])
def test_a_way_of_paying_we_do_not_hold_or_an_action_is_refused(question):
    assert plan(question).kind == "refusal"


def test_money_refunded_in_tuition_fees_is_the_refunded_amount():
    assert fields("how much in tuition fees did we refund last month")["metric"] == "refund_total"


def test_a_grand_and_a_half_is_1500():
    assert fields("how many payments over a grand and a half")["filters"]["amount_gt"] == "1500"
