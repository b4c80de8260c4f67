"""The wrong answers of heldout_h's blind measurement (issue #17, docs/chat.md), fixed at their cause: a status word
or a figure word the planner does not know is refused, never ignored; "refused" payments are the declined ones; a
request to act on a payment is refused, never answered as a lookup; a follow-up grouping by reason keeps the
declines it inherits."""

import pytest

from smartpay_chat.service_layer.planner import ACTION_REASON, screen
from smartpay_chat.testing import fields, plan

DECLINED = ["failed", "declined_fraud"]


@pytest.mark.parametrize("question", [
    "how many payments were refused yesterday", "refused payments this week", "number of refused card payments today",
])
def test_refused_payments_are_the_declined_ones(question):
    assert fields(question)["filters"]["statuses"] == DECLINED


def test_the_rate_of_refused_payments_is_the_decline_rate():
    found = fields("rate of refused payments per gateway this week")
    assert (found["metric"], found["group_by"]) == ("decline_rate", ["gateway"])


@pytest.mark.parametrize(("question", "word"), [
    ("how many payments have been zorbled today", "zorbled"),  # a status we do not know: not every payment
    ("how many payments were frobnicated yesterday", "frobnicated"),
    # ("the refund quote of last month" is now the refund rate: German "Quote", as heldout_h and heldout_al's blind
    # lines both expect; test_heldout_al_fixes.py)
    ("decline quota this week", "quota"),
])
def test_an_unknown_word_where_a_status_or_a_figure_stands_is_refused_never_ignored(question, word):
    found = plan(question)
    assert found.kind == "refusal" and f'"{word}"' in found.reason, found


def test_known_status_participles_are_still_read():
    assert fields("how many payments were declined today")["filters"]["statuses"] == DECLINED
    assert fields("how many payments were refunded today")["filters"]["statuses"] == ["refunded", "partially_refunded"]
    assert fields("refund rate last month")["metric"] == "refund_rate"


@pytest.mark.parametrize("question", [
    "Refund payment pay_SYN00000023 please", "please refund pay_SYN00000023", "cancel this order",
    "Could you void the payment pay_SYN00000042?", "capture all pending payments", "charge it again",
    "i want you to reverse that transaction", "retry the failed payments from today",
])
def test_a_request_to_act_on_a_payment_is_refused_with_its_reason(question):
    found = plan(question)
    assert found.kind == "refusal" and ACTION_REASON in found.reason, found
    assert screen(question) is not None  # the LLM planners share the screen


@pytest.mark.parametrize("question", [
    "refund total last month", "refund rate per gateway", "capture rate by payment method this week",
    "declined payments today", "what is payment pay_SYN00000023",
])
def test_questions_that_start_with_an_action_word_are_not_requests(question):
    found = plan(question)
    assert found.kind != "refusal" or ACTION_REASON not in found.reason, found


def test_a_reason_follow_up_keeps_the_fraud_declines_it_inherits():
    fraud = plan("fraud declines in November")
    follow = fields("by reason please", fraud)
    assert (follow["filters"]["statuses"], follow["group_by"]) == (["declined_fraud"], ["reason"])
    # a grouping by reason with nothing inherited is every decline, as before
    assert fields("payments by reason in November")["filters"]["statuses"] == DECLINED
    # a follow-up whose last question was not about declines gets the declines the grouping implies
    assert fields("by reason", plan("payments in November"))["filters"]["statuses"] == DECLINED


# --- then heldout_h's refusals: words with one reading in a question about payments
@pytest.mark.parametrize(("question", "metric", "statuses"), [
    ("what is the rate of acceptation this month?", "approval_rate", None),
    ("acceptance share of card payments last week", "approval_rate", None),
    ("what is the amount of reimbursements for November?", "refund_total", None),
    ("amount of refunds last week", "refund_total", None),
    ("how many payments were reimbursed partially in October?", "count", ["partially_refunded"]),
    ("how many reimbursements yesterday", "count", ["refunded", "partially_refunded"]),
])
def test_acceptation_and_reimbursements_are_read(question, metric, statuses):
    found = fields(question)
    assert (found["metric"], found.get("filters", {}).get("statuses")) == (metric, statuses)


@pytest.mark.parametrize(("question", "group"), [
    ("How did the decline rate move hour by hour today?", "hour"), ("volume day by day this week", "day"),
    ("payments hour-by-hour yesterday", "hour"),
])
def test_hour_by_hour_and_day_by_day_are_groupings(question, group):
    assert fields(question)["group_by"] == [group]


@pytest.mark.parametrize("question", ["what is the amount of payments in November?", "amount of transactions yesterday",
                                      "the amount of orders on stripe this week"])
def test_the_amount_of_payments_is_refused_not_answered_with_their_count(question):
    # their number (a non-native speaker's "amount") or their money: "amount" used to be ignored, giving the count
    found = plan(question)
    assert found.kind == "refusal" and '"amount"' in found.reason, found


def test_an_amount_filter_is_still_read():
    assert fields("how many payments with an amount over 500 today")["filters"]["amount_gt"] == "500"


@pytest.mark.parametrize("question", ["alexa ask smart pay for the fraud decline rate today",
                                      "ok google, ask smart-pay for the fraud decline rate today"])
def test_our_name_split_in_two_is_not_the_word_pay(question):
    assert fields(question)["metric"] == "fraud_decline_rate"


def test_paying_is_still_read():
    assert fields("how many payments paid with amazon pay today")["filters"]["methods"] == ["amazon_pay"]
