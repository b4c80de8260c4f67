"""The misses of heldout_o's blind measurement (issue #17, docs/chat.md: 155 of 160 right as written): a greeting
clause in front of the question ("Good morning."), a ranking word before its number ("Biggest 3 countries"),
"worst" of an inherited rate where high is bad ("decline rate by method >> worst 2"), "the fraud ones" after
declines, and "how much money was in those" after a count of declines (they moved no money: refused)."""

import pytest

from smartpay_chat.testing import fields, plan


@pytest.mark.parametrize("question", [
    "Good morning. Could you tell me how many payments were approved yesterday, Toronto time?",  # heldout_o 65
    "good afternoon, how many approved payments yesterday", "Hi team - approved payments yesterday?",
    "good evening all. approved payments yesterday"])
def test_a_greeting_clause_is_set_aside(question):
    found = fields(question)
    assert found["metric"] == "count" and found["window"] == {"period": "yesterday"}, found
    assert set(found["filters"]["statuses"]) == {"captured", "refunded", "partially_refunded"}, found


@pytest.mark.parametrize("question", ["how many payments this morning", "approved payments yesterday morning",
                                      "Good morning on Stripe. approved payments yesterday",
                                      "approved payments yesterday, morning",  # after it: maybe the morning
                                      "Morning: how many payments today"])  # a heading, maybe (the session's review)
def test_a_time_of_day_that_is_not_a_greeting_is_still_refused(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize("question, n, order", [
    ("Biggest 3 countries by sales this year", 3, "desc"),  # heldout_o 96
    ("largest 2 currencies by volume last month", 2, "desc"), ("lowest 2 gateways by volume last week", 2, "asc"),
    ("top 3 countries by volume", 3, "desc"), ("3 biggest countries by volume", 3, "desc")])
def test_a_ranking_word_before_its_number(question, n, order):
    found = plan(question)
    assert found.kind == "aggregate" and found.top_n == n and found.order == order and found.group_by, found


@pytest.mark.parametrize("first, metric, order", [
    ("decline rate by method this week", "decline_rate", "desc"),  # heldout_o 182: the highest decline rates
    ("refund rate by gateway this month", "refund_rate", "desc"),
    ("approval rate by gateway this week", "approval_rate", "asc")])  # high is good: the lowest
def test_worst_of_an_inherited_rate(first, metric, order):
    found = plan("worst 2", plan(first))
    assert found.kind == "aggregate" and (found.metric, found.order, found.top_n) == (metric, order, 2), found
    best = plan("best 2", plan(first))
    assert best.kind == "aggregate" and best.order == ("asc" if order == "desc" else "desc"), best


def test_the_fraud_ones_after_declines():  # heldout_o 173
    found = fields("only the fraud ones", plan("declines by reason last week"))
    assert found["filters"]["statuses"] == ["declined_fraud"] and found["group_by"] == ["reason"], found
    assert plan("fraud ones today").kind == "refusal"  # no earlier question: nothing says what "ones" are


def test_how_much_money_was_in_those_declines_is_refused():  # heldout_o 165
    refused = plan("and how much money was in those", plan("how many declines this week"))
    assert refused.kind == "refusal" and "moved no money" in refused.reason, refused
    found = fields("how much money was in those?", plan("how many approved payments yesterday"))
    assert found["metric"] == "volume" and found["window"] == {"period": "yesterday"}, found
