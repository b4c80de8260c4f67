"""The misses of heldout_q's blind measurement (issue #17, docs/chat.md: 143 of 160 right as written): a story whose
words went into the plan (3 wrong answers), a forwarded message's header in front of the question, Nepal and
Newfoundland time, "I am putting together the statement ...", "time until the final outcome", "the amazon pay
method", and "what percentage is that" after a count of payments that fell back."""

import pytest

from smartpay_chat.testing import fields, plan


def test_a_rate_of_its_own_numerator_drops_the_status_words():  # heldout_q 172 (answered as 100 % of declines)
    """The whole numerator named is the rate's own words; a part of it ("only the fraud ones" after a decline rate,
    the session's review) would be 100 % by definition: refused."""
    found = plan("I was looking at the numbers and it seems that many payments are being rejected, so I would like "
                 "to know the decline rate for this week in Buenos Aires time, if you can see that")
    assert found.kind == "aggregate" and found.metric == "decline_rate" and found.filters.statuses == (), found
    assert plan("approval rate of approved payments today").filters.statuses == ()
    # a rate of other payments than its numerator keeps them: the share of declines that were fraud
    assert set(fields("fraud decline rate of declined payments today")["filters"]["statuses"]) == {
        "failed", "declined_fraud"}
    for first, then in (("decline rate by gateway this week", "only the fraud ones"),
                        ("refund rate this month", "only partial refunds")):
        assert plan(then, plan(first)).kind == "refusal", then
    assert plan("approval rate for refunded payments yesterday").kind == "refusal"


@pytest.mark.parametrize("question", [
    # heldout_q 173: "card" and "Amazon Pay" of the story became filters of a split by method
    "When I launched the new module a lot of people bought it with card and others with Amazon Pay, so I would like "
    "to see the revenue of last month split by payment method in Buenos Aires time please",
    "we mostly sell to customers in France. volume last week",
    "how many payments today? a customer paid with stripe"])
def test_a_story_that_would_change_the_plan_is_refused(question):
    found = plan(question)  # ("people" is a people word since heldout_r: "a lot of people bought it" is refused for it)
    assert found.kind == "refusal" and ("would change the question" in found.reason or '"people"' in found.reason), found


def test_their_money_back_is_a_refund():  # heldout_q 174: "money" made the count of refunds their volume
    found = fields("In the actual month, how many refunds did I have to give? Some students asked for their money "
                   "back.")
    assert found["metric"] == "count" and set(found["filters"]["statuses"]) == {"refunded", "partially_refunded"}
    assert fields("how much money did we give back last week")["metric"] == "refund_total"
    # an imperative "give back" is not a refund (the session's review)
    assert plan("could you give back the numbers for yesterday").kind == "refusal"
    assert fields("hand back the count for yesterday").get("filters", {}).get("statuses", []) == []


@pytest.mark.parametrize("question", [
    "fwd from front desk - how many payments have we had today, Newfoundland time?",
    "Forwarding this one from our bookkeeper: how many payments today in America/St_Johns?",
    "From the shift lead: how many payments today in America/St_Johns?",
    "Hi, forwarding a question from our CEO: how many payments today, Newfoundland time?"])
def test_a_forwarded_messages_header_is_set_aside(question):
    found = fields(question)
    assert found["metric"] == "count" and found["timezone"] == "America/St_Johns", found


@pytest.mark.parametrize("question", ["From the Stripe team: volume yesterday", "from Tokyo office: volume yesterday",
                                      # the session's review: a header's words are a sender's, or it is not one
                                      "fwd from adyen: volume yesterday", "From Adyen, how many payments yesterday",
                                      "Via PayPal, how many payments yesterday?", "From the EU team: volume yesterday",
                                      "From new customers: how many payments yesterday?",
                                      "From our Shopify store, how many payments yesterday?",
                                      "tokyo office asking: volume yesterday",  # a city the grammar ignored
                                      "volume yesterday - from the shift lead", "From Japan, how many payments today?"])
def test_a_header_that_names_something_is_not_set_aside(question):
    found = plan(question)
    assert found.kind == "refusal" or found.filters.countries == ("JP",), found


def test_nepal_time_and_the_odd_offsets():
    assert fields("How many payments today in Nepal time?")["timezone"] == "Asia/Kathmandu"
    assert plan("How many payments today in Nepal time?").filters.countries == ()  # a zone, not a filter
    # the name alone is the country (session 19: every ISO name; it was refused while the list was hand-kept)
    assert plan("payments from nepal today").filters.countries == ("NP",)


def test_putting_together_a_statement_is_not_a_clock_time():
    found = fields("I am putting together the statement for the finance committee and would be grateful to know our "
                   "net revenue after refunds for last month, Adelaide time")
    assert found["metric"] == "net" and found["timezone"] == "Australia/Adelaide", found
    assert plan("volume today, I'm thinking about switching stripe").kind == "refusal"


def test_time_until_the_final_outcome_and_the_method_said_with_its_kind():
    assert fields("Median time until the final outcome for payments yesterday in CET?")["metric"] == "latency"
    found = plan("For amazon pay method, decline rate last 10 days")
    assert found.filters.methods == ("amazon_pay",) and found.filters.gateways == (), found
    assert fields("card method volume today")["filters"]["methods"] == ["card"]


def test_what_percentage_is_that_after_a_count():
    found = plan("what percentage is that", plan("how many payments fell back to another gateway this month"))
    assert found.metric == "fallback_rate" and found.filters.fell_back is None, found
    assert fields("what share is that", plan("how many declines today"))["metric"] == "decline_rate"
    assert plan("what percentage is that", plan("how many payments today")).kind == "refusal"  # of what?
