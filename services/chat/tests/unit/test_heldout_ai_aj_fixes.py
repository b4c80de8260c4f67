"""The misses of heldout_ai's and heldout_aj's blind measurements that were fixed (issue #17, docs/chat.md): first
their 21 wrong answers, then refusals of a trade's words for its payments and of regional English."""

import pytest

from smartpay_chat.testing import fields, plan


def _statuses(found: dict) -> set:
    return set(found.get("filters", {}).get("statuses", []))


# --- wrong answers

@pytest.mark.parametrize("question", ["how much money did those bring in?", "what did those refunds add up to in money",
                                      "how much money was that?", "how much dosh was that, then?"])
def test_the_money_of_those_with_nothing_before_is_refused(question):
    found = plan(question)
    assert found.kind == "refusal" and "no earlier question" in found.reason, found


def test_the_money_of_declined_payments_counted_before_is_refused():
    found = plan("how much money do those add up to", plan("how many declined ticket payments today"))
    assert found.kind == "refusal" and "moved no money" in found.reason


def test_slang_money_of_refunds_counted_before_is_their_refunded_amount():
    assert fields("how much dosh was that, then?", plan("how many refunds last month"))["metric"] == "refund_total"


@pytest.mark.parametrize("question", ["please refund booking pay_3k9x2m7q1w for the guest",
                                      "Would you be a dear and refund pay_SYN00000077 for the customer?",
                                      "scrap all the pending ones for us, there's a good lad"])
def test_an_action_on_a_payment_is_refused(question):
    assert "I only answer questions about payments" in plan(question).reason


@pytest.mark.parametrize("question", ["what's the status of the refund on pay_SYN00000077",
                                      "why was pay_SYN00000077 declined"])
def test_a_refund_named_as_a_noun_stays_a_lookup(question):
    assert plan(question).kind == "lookup"


@pytest.mark.parametrize("question", ["how much did private lessons bring in this week",
                                      "how much did the boxes bring in last week"])
def test_a_part_of_the_payments_as_the_subject_of_the_money_is_refused(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize("question", ["How much revenue did Solana generate in October?",
                                      "How much turnover have we made this week?", "how much did we bring in this week"])
def test_the_merchant_or_a_gateway_as_the_subject_stays_answered(question):
    assert fields(question)["metric"] == "volume"


def test_money_that_went_back_is_the_refunded_amount():
    assert fields("how much money went back to patients last month")["metric"] == "refund_total"


@pytest.mark.parametrize(("question", "currency"), [("how many pounds did we take yesterday?", "GBP"),
                                                    ("Aye, how many quid did we take yesterday?", "GBP"),
                                                    ("How many quid have we taken today, innit?", "GBP"),
                                                    ("Which country's bringing in the most euros this week?", "EUR"),
                                                    ("which gateway got the fewest dollars yesterday", "USD")])
def test_counted_money_units_are_the_volume_in_that_currency(question, currency):
    found = fields(question)
    assert found["metric"] == "volume" and found["filters"]["currencies"] == [currency], found


def test_payments_in_a_currency_are_still_counted():
    assert fields("how many euro payments yesterday")["metric"] == "count"


@pytest.mark.parametrize(("question", "key", "value"), [
    ("how many orders over a hundred bucks came in since Monday?", "amount_gt", "100"),
    ("number of payments in pounds under a tenner yesterday", "amount_lt", "10"),
    ("payments over 2 grand USD last week", "amount_gt", "2000")])
def test_slang_amounts_keep_their_bound(question, key, value):
    assert fields(question)["filters"][key] == value


def test_knocking_back_is_declining():
    found = fields("which gateway's knocking back the most payments this week?")
    assert _statuses(found) == {"failed", "declined_fraud"} and found["group_by"] == ["gateway"]


@pytest.mark.parametrize("question", ["How many payments from the UK got knocked back for fraud last month?",
                                      "how many payments from the US got turned down for fraud yesterday",
                                      "How many payments got binned by the fraud checks this month?"])
def test_turned_down_for_fraud_is_the_fraud_declines(question):
    assert _statuses(fields(question)) == {"declined_fraud"}


def test_gateway_wise_is_by_gateway():
    assert fields("gateway-wise approval rate for yesterday, India time")["group_by"] == ["gateway"]


def test_paid_wi_amazon_pay_is_the_method():
    assert fields("how many orders paid wi' Amazon Pay went through this week")["filters"]["methods"] == ["amazon_pay"]


@pytest.mark.parametrize("question", ["how much have we made this arvo, mate?", "decline rate this week bar Solana, cheers"])
def test_an_afternoon_or_an_exclusion_in_slang_is_refused(question):
    assert plan(question).kind == "refusal"


def test_how_much_did_the_bar_take_is_not_an_exclusion():
    assert fields("how much did the bar take yesterday")["metric"] == "volume"


@pytest.mark.parametrize(("base", "turn", "expected"), [
    ("how many quid did we take yesterday", "and the previous day, then?", {"period": "on_date", "start_date": "2026-11-29"}),
    ("volume last week", "and the previous week?", {"period": "between", "start_date": "2026-11-16",
                                                    "end_date": "2026-11-22"})])
def test_the_previous_day_alone_steps_back_from_the_last_window(base, turn, expected):
    assert fields(turn, plan(base))["window"] == expected


def test_the_previous_day_in_a_question_of_its_own_is_the_last_24_hours():
    assert fields("volume in the previous day")["window"] == {"period": "last_n_hours", "n": 24}


def test_successfully_paid_is_approved():
    assert _statuses(fields("how many appointments were successfully paid last month")) == {
        "captured", "refunded", "partially_refunded"}


# --- refusals

@pytest.mark.parametrize("question", [
    "Could ye tell us how much got refunded this week, if it's no bother?",
    "top 3 decline codes this month, no worries if you can't", "net in dollars last week, if it's no trouble",
    "If it's not too much trouble, how many payments failed on Stripe yesterday?",
    "The decline rate's been grim since Friday, hasn't it?",
    "Refunds were light last week, weren't they? How many were there?",
    "How much amount got refunded in November month?", "how much did we refund the punters last month in euros",
    "How many payments are pending as on date?", "how many bookings came from the UK this week",
    "what share of appointment payments were approved yesterday", "the clinic's average bill in US dollars last month",
    "tuition fees collected in yen last month", "how many patient payments bounced this week",
    "how many invoices under £50 were successfully paid in November"])
def test_regional_english_and_a_trades_words_for_its_payments_are_answered(question):
    assert plan(question).kind == "aggregate", plan(question)


@pytest.mark.parametrize("question", ["how many lesson bookings did we get today", "fees last month",
                                      "how many vet bills above 500 dollars went through this month",
                                      "payments on stripe, not solana?"])
def test_a_thing_sold_before_the_payments_or_a_negation_stays_refused(question):
    assert plan(question).kind == "refusal"
