"""The misses of heldout_l's blind measurement (issue #17, docs/chat.md), fixed at their cause as rules, each read
against docs/chat.md and METRICS.md. Wrong answers first: a rate never filters on its own numerator ("fallback rate
... are we rerouting a lot?"); a "<place> time" is a zone: any IANA city resolves ("Halifax time"), and one the
planner cannot resolve is refused, never answered in the default zone; "at or below" and the other inclusive bounds
are inclusive; in a follow-up of a method filter, Amazon Pay / Solana is the method; "what did those come to in
money" after a count of refunds is the refund total; currencies are never added or converted. Then the refusals:
a business's words for its payments (tickets, donations, gifts, top-ups, fee payments), "placed", "raised", a
weekday inside a proper noun ("Giving Tuesday"), "night audit", "total captured", "reasons / codes" before the
declines, two p-percentiles with payments named, a size word the amount bound says."""

import pytest

from smartpay_chat.domain.question import CONVERSION_REASON
from smartpay_chat.testing import fields, plan

# 1. a rate never filters on its own numerator


@pytest.mark.parametrize("question", [
    "fallback rate this week - are we rerouting a lot?",  # heldout_l 35: a fell_back filter was added
    "fallback rate this week, how many fell back?", "reroute rate this week for payments that failed over",
])
def test_the_fallback_rate_has_no_fell_back_filter(question):
    found = fields(question)
    assert found["metric"] == "fallback_rate" and "fell_back" not in found.get("filters", {}), found


def test_a_fallback_rate_follow_up_drops_the_fell_back_filter_it_inherits():
    before = plan("how many payments were rerouted this week")
    assert before.filters.fell_back is True  # the count of rerouted payments keeps its filter
    found = fields("and the fallback rate?", before)
    assert found["metric"] == "fallback_rate" and "fell_back" not in found.get("filters", {}), found


# 2. a zone is never dropped


@pytest.mark.parametrize(("question", "zone"), [
    ("Halifax time: yesterday's approval rate", "America/Halifax"),  # heldout_l 127: answered in UTC
    ("approval rate yesterday in Winnipeg time", "America/Winnipeg"),
    ("volume today, Edmonton time", "America/Edmonton"),
    ("Kathmandu time: how many payments today", "Asia/Kathmandu"),
    ("payments by hour today in Montevideo time", "America/Montevideo"),
    ("volume today, Sydney time", "Australia/Sydney"),  # the names written by hand still win
])
def test_an_iana_city_before_time_is_its_zone(question, zone):
    assert fields(question)["timezone"] == zone


@pytest.mark.parametrize("question", [
    # a place with no zone of its own name nor in the gazetteer (session 21: "Calgary", "Ottawa" and "Pittsburgh"
    # now resolve through GeoNames, test_heldout_ak_am_fixes.py): refused, never UTC
    "Gotham time: yesterday's approval rate", "volume today, Pittsburgh time",  # (a word-list name under 500,000)
    "volume today, Gotham time zone",
    "how many payments yesterday, Gotham tz",
])
def test_a_zone_the_planner_cannot_resolve_is_refused(question):
    found = plan(question)
    assert found.kind == "refusal" and "time zone of" in found.reason, found


@pytest.mark.parametrize("question", [
    "approval rate yesterday in Gotham time", "payments today in Springfield time",  # refused before, as a place
    "volume at Christmas time",  # not Indian/Christmas
])
def test_other_unknown_places_stay_refused(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize(("question", "metric"), [
    ("median processing time yesterday", "latency"), ("response time p95 today", "latency"),
    ("what time of day do we get the most payments", "count"),
])
def test_ordinary_time_words_are_not_zones(question, metric):
    found = fields(question)
    assert found["metric"] == metric and "timezone" not in found, found


# 3. inclusive amount bounds


@pytest.mark.parametrize(("question", "bound"), [
    ("Number of payments at or below 100 GBP on 9 November", {"amount_lte": "100"}),  # heldout_l 148: lt
    ("payments at or under 100 GBP today", {"amount_lte": "100"}),
    ("payments no more than 100 GBP today", {"amount_lte": "100"}),  # was refused
    ("payments not more than 100 GBP today", {"amount_lte": "100"}),
    ("payments less than or equal to 100 GBP today", {"amount_lte": "100"}),
    ("payments at or above 100 GBP today", {"amount_gte": "100"}),
    ("payments greater than or equal to 100 GBP today", {"amount_gte": "100"}),
])
def test_inclusive_bounds_are_inclusive(question, bound):
    found = fields(question)["filters"]
    assert {k: v for k, v in found.items() if k.startswith("amount")} == bound, found


@pytest.mark.parametrize(("question", "bound"), [
    ("payments up to 100 GBP today", {"amount_lte": "100"}), ("payments of at least 100 GBP today", {"amount_gte": "100"}),
    ("payments of 100 GBP or more today", {"amount_gte": "100"}), ("payments below 100 GBP today", {"amount_lt": "100"}),
    ("payments over 100 GBP today", {"amount_gt": "100"}), ("payments more than 100 GBP today", {"amount_gt": "100"}),
])
def test_the_other_bounds_keep_their_reading(question, bound):
    found = fields(question)["filters"]
    assert {k: v for k, v in found.items() if k.startswith("amount")} == bound, found


# 4. a wallet after a method filter is the method


@pytest.mark.parametrize(("follow_up", "methods"), [
    ("and for Amazon Pay?", ["amazon_pay"]),  # heldout_l 169: card kept and a gateway filter added
    ("what about amazon pay", ["amazon_pay"]), ("and Solana?", ["solana_wallet"]),
])
def test_a_wallet_after_a_method_is_the_method(follow_up, methods):
    found = fields(follow_up, plan("approval rate for card payments this week"))
    assert (found["filters"].get("methods"), found["filters"].get("gateways")) == (methods, None), found


@pytest.mark.parametrize(("first", "follow_up", "filters"), [
    ("approval rate for card payments this week", "and on the Amazon Pay gateway?",
     {"methods": ["card"], "gateways": ["amazon_pay"]}),  # "gateway" said: the gateway
    ("approval rate for card payments this week", "and on Stripe?", {"methods": ["card"], "gateways": ["stripe"]}),
    ("approval rate on stripe this week", "and for Amazon Pay?", {"gateways": ["amazon_pay"]}),
])
def test_a_gateway_follow_up_keeps_its_reading(first, follow_up, filters):
    assert fields(follow_up, plan(first))["filters"] == filters


# 5. the money of the refunds counted


@pytest.mark.parametrize("follow_up", [
    "and what did those come to in money?",  # heldout_l 174: the volume of the refunded payments
    "what did they come to", "what were those worth",
])
def test_what_the_refunds_came_to_is_the_refund_total(follow_up):
    found = fields(follow_up, plan("refunds last month, how many?"))
    assert (found["metric"], found["filters"]["statuses"]) == ("refund_total", ["refunded", "partially_refunded"])


def test_how_much_those_came_to_keeps_its_reading():
    found = fields("how much did those come to", plan("refunds last month, how many?"))
    assert found["metric"] == "refund_total"


def test_what_approved_payments_came_to_is_their_volume():
    found = fields("what did those come to", plan("how many card payments yesterday"))
    assert found["metric"] == "volume"


# 6. currencies are never added or converted


@pytest.mark.parametrize("question", [
    "total volume across all currencies as one number, converted to dollars",  # heldout_l 214: answered in USD
    "volume this month converted to euros", "revenue last week in a single figure across all currencies",
    "sales this month summed across currencies", "what is our volume in USD at today's exchange rate",
    "convert yesterday's revenue to GBP",
])
def test_adding_or_converting_currencies_is_refused(question):
    found = plan(question)
    assert found.kind == "refusal" and CONVERSION_REASON in found.reason, found


@pytest.mark.parametrize("question", ["volume across all currencies this month", "volume in dollars this month",
                                      "how many payments as one number this month"])
def test_money_per_currency_is_still_answered(question):
    assert plan(question).kind == "aggregate"


# 7. a business's words for its payments


@pytest.mark.parametrize(("question", "expected"), [
    ("ticket revenue today, split per currency", {"metric": "volume", "window": {"period": "today"},
                                                 "group_by": ["currency"]}),  # heldout_l 28
    ("How many orders over 200 euros were placed today?", {"metric": "count", "window": {"period": "today"},
     "filters": {"currencies": ["EUR"], "amount_gt": "200"}}),  # heldout_l 31
    ("how many donations failed to go through today", {"metric": "count", "window": {"period": "today"},
     "filters": {"statuses": ["failed", "declined_fraud"]}}),  # heldout_l 90
    ("how many payments failed to go through today", {"metric": "count", "window": {"period": "today"},
     "filters": {"statuses": ["failed", "declined_fraud"]}}),
    ("average gift in GBP over the last 30 days", {"metric": "average_order_value", "filters": {"currencies": ["GBP"]},
     "window": {"period": "last_n_days", "n": 30}}),  # heldout_l 94
    ("daily donation totals this week", {"metric": "volume", "window": {"period": "this_week"},
                                         "group_by": ["day"]}),  # heldout_l 101
    ("Bahrain time, today: number of fee payments", {"metric": "count", "window": {"period": "today"},
                                                      "timezone": "Asia/Bahrain"}),  # heldout_l 140
    ("top-up volume in yen today", {"metric": "volume", "window": {"period": "today"},
                                    "filters": {"currencies": ["JPY"]}}),  # heldout_l 154
    ("how many top-ups today", {"metric": "count", "window": {"period": "today"}}),
    ("It's Giving Tuesday - how much have we raised so far today?", {"metric": "volume",
                                                                      "window": {"period": "today"}}),  # heldout_l 88
    ("what did we raise yesterday", {"metric": "volume", "window": {"period": "yesterday"}}),
    ("Night audit: total captured yesterday in Singapore time", {"metric": "volume", "window": {"period": "yesterday"},
                                                                 "timezone": "Asia/Singapore"}),  # heldout_l 122
    ("how many small payments under 5 dollars today?", {"metric": "count", "window": {"period": "today"},
     "filters": {"currencies": ["USD"], "amount_lt": "5"}}),  # heldout_l 155
    ("how many large payments over 500 dollars today?", {"metric": "count", "window": {"period": "today"},
     "filters": {"currencies": ["USD"], "amount_gt": "500"}}),
])
def test_a_business_words_for_its_payments(question, expected):
    assert fields(question) == expected


@pytest.mark.parametrize("question", [
    "fee revenue this month", "how much did we pay in fees this month",  # fees: not held
    "how many payments were placed on hold today",  # a state we do not hold
    "how many small payments today",  # small with no bound: which amounts is not said
    "how many large payments under 5 dollars today",  # against the bound
    "how many gift card payments today",  # a gift card is not the card method
    "ticket size this week",
])
def test_near_misses_stay_refused(question):
    assert plan(question).kind == "refusal", plan(question)


@pytest.mark.parametrize(("question", "expected"), [
    ("average ticket this week", {"metric": "average_order_value", "window": {"period": "this_week"}}),
    ("top 3 gateways by volume this week", {"metric": "volume", "window": {"period": "this_week"},
                                            "group_by": ["gateway"], "top_n": 3}),
    ("top-3 gateways by volume this week", {"metric": "volume", "window": {"period": "this_week"},
                                            "group_by": ["gateway"], "top_n": 3}),
    ("how many payments total today", {"metric": "count", "window": {"period": "today"}}),
    ("total captured payments yesterday", {"metric": "count", "window": {"period": "yesterday"},
     "filters": {"statuses": ["captured", "refunded", "partially_refunded"]}}),
    ("volume since Tuesday", {"metric": "volume", "window": {"period": "since_weekday", "weekday": 1}}),
])
def test_words_near_them_keep_their_reading(question, expected):
    assert fields(question) == expected


def test_a_named_day_with_no_other_window_is_never_dropped():
    # with no other window the proper noun is not set aside: never answered over all time
    assert plan("how much did we raise on Giving Tuesday").kind == "refusal"


# 8. reasons and codes before the declines


@pytest.mark.parametrize(("question", "expected"), [
    ("reasons card charges got declined today", {"metric": "count", "window": {"period": "today"},
     "group_by": ["reason"], "filters": {"methods": ["card"], "statuses": ["failed", "declined_fraud"]}}),  # 126
    ("codes behind this week's fraud declines", {"metric": "count", "window": {"period": "this_week"},
     "group_by": ["reason"], "filters": {"statuses": ["declined_fraud"]}}),  # heldout_l 158
    ("codes behind the declines this week", {"metric": "count", "window": {"period": "this_week"},
     "group_by": ["reason"], "filters": {"statuses": ["failed", "declined_fraud"]}}),
])
def test_reasons_and_codes_before_declines_group_by_reason(question, expected):
    assert fields(question) == expected


# 9. p-percentiles with payments named are latency


def test_two_p_percentiles_for_payments_are_latency():
    found = fields("p50 and p99 for payments made with amazon pay in the past 5 hours")  # heldout_l 70
    assert (found["metric"], found["percentiles"], found["filters"]) == (
        "latency", [50.0, 99.0], {"methods": ["amazon_pay"]})


@pytest.mark.parametrize("question", ["median payment amount this week", "p95 of payment amounts this week",
                                      "95th percentile of payments this week"])
def test_other_percentiles_stay_refused(question):
    assert plan(question).kind == "refusal"


# The review's findings on these rules (session 14): each was answered wrongly before its mend.


@pytest.mark.parametrize("question", [
    "Volume for Stripe Tuesday last week",  # a gateway before a weekday is no named day: Stripe and Tuesday were lost
    "Approval rate for Amazon Pay Friday this week",
    "How many Stripe payments on Black Friday this year",  # a named day beside a longer window: which date?
    "Volume Cyber Monday, Stripe Monday and Adyen Tuesday this week",
    "total charged back last month",  # chargebacks are not volume
    "Victoria time: volume today",  # Australia/Victoria or Victoria, BC: refused, not guessed
    "volume yesterday Norfolk time",
    "how many payments were initiated on Stripe this week",  # the first gateway tried, not the final one
    "what's our checkout conversion rate this week",  # not a currency conversion, and not a figure we have
])
def test_the_reviews_readings_are_refused(question):
    assert plan(question).kind == "refusal", fields(question)


def test_a_checkout_conversion_rate_is_not_refused_as_a_currency_conversion():
    assert CONVERSION_REASON not in plan("what's our checkout conversion rate this week").reason


@pytest.mark.parametrize("question", ["how many payments at any time today", "volume today in company time"])
def test_a_word_ending_in_a_city_abbreviation_is_no_zone(question):
    # "at any time": "ny time" inside "any time" was read as America/New_York
    assert plan(question).timezone == "UTC"


@pytest.mark.parametrize("question", ["convert today's volume to euros", "volume in USD at today's exchange rate",
                                      "what is this month's volume converted into dollars"])
def test_a_currency_conversion_is_still_refused_as_one(question):
    assert CONVERSION_REASON in plan(question).reason
