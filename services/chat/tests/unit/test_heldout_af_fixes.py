"""The misses of heldout_ad's, heldout_af's and heldout_ah's blind measurements that were fixed (issue #17,
docs/chat.md): "refunded amounts" (plural) counted payments (a wrong answer), a team named before the question
("I work on the growth team."), "how much did the truck take", "after refunds were taken off", "what was my total",
"median payment time", "I'm new here, sorry, but ..."; and "how much was fully refunded", a count (wrong)."""

import pytest

from smartpay_chat.testing import fields, plan


@pytest.mark.parametrize("question", ["List the refunded amounts per currency for November",
                                      "refund amounts in November by currency", "refund totals per currency, November"])
def test_refunded_amounts_in_the_plural_are_the_money_refunded(question):
    found = fields(question)
    assert found["metric"] == "refund_total" and found["group_by"] == ["currency"], found


@pytest.mark.parametrize(("question", "status"), [("how much was fully refunded in November", "refunded"),
                                                  ("how much was partially refunded last week", "partially_refunded"),
                                                  ("partial refunds last week how much", "partially_refunded")])
def test_the_money_of_one_kind_of_refund_keeps_that_kind(question, status):
    found = fields(question)
    assert found["metric"] == "refund_total" and found["filters"]["statuses"] == [status], found


def test_the_money_of_every_refund_needs_no_status_filter():
    assert "statuses" not in fields("how much did we refund last week").get("filters", {})


@pytest.mark.parametrize("question", [
    "I'm building a slide for the growth team. Which 3 countries had the highest refund rate last month?",
    "I work on the growth team. What was the approval rate by payment method last month?",
    "I'm new here, sorry, but what percentage of payments did not go through yesterday?"])
def test_a_story_about_the_speaker_is_set_aside(question):
    assert plan(question).kind == "aggregate", plan(question)


@pytest.mark.parametrize("question", ["growth team: volume last week", "volume growth last week",
                                      "the growth team asked about volume growth last week"])
def test_growth_is_still_refused_where_it_is_the_question(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize("question", ["how much did the truck take in the last 24 hours",
                                      "how much did the shop take today", "how much did the bakery take last week",
                                      "what was my total last month", "what's our total yesterday by gateway"])
def test_the_merchants_own_business_and_total_are_its_volume(question):
    assert fields(question)["metric"] == "volume"


@pytest.mark.parametrize("question", ["how much did the Berlin shop take yesterday",
                                      "how many payments at the truck yesterday", "how many class payments today"])
def test_one_of_several_places_or_products_stays_refused(question):
    assert plan(question).kind == "refusal"


def test_our_total_payments_stay_a_count():
    assert fields("our total payments yesterday")["metric"] == "count"


def test_after_refunds_were_taken_off_is_net():
    assert fields("how much did I make last month after refunds were taken off")["metric"] == "net"
    assert plan("how many payments last week after refunds were taken off").kind == "refusal"


@pytest.mark.parametrize("question", ["median payment time in the last 7 days", "95th percentile payment time today"])
def test_a_percentile_of_payment_time_is_latency(question):
    assert fields(question)["metric"] == "latency"


def test_a_percentile_of_an_amount_stays_refused():
    assert plan("median payment amount last week").kind == "refusal"
