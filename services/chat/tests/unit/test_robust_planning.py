"""Issue #17 item 1 on the deterministic planner (no engine): filler ignored but plan-changing words refused,
typos within a small edit distance but never onto another known word, named time zones, bare counts, "right
now", "break down by", numeric top-N, values only where a value fits, METRICS.md's captured volume. Then the fixes
that followed heldout_d's blind measurement, safety first: another merchant, card data and comparisons refused
with their reason; the readings that gave a wrong figure; wordings that used to be refused. Then heldout_e's and
heldout_f's fixes: numbers in words, homophones, glossary status names, more dates; heldout_g's: date ranges without
"between", one window per question, "more" as a ranking, SQL-ish operators, narrative sentences (docs/chat.md)."""

import pytest

from smartpay_chat.adapters.english_words import is_known
from smartpay_chat.domain import narrative, spoken, typos
from smartpay_chat.domain.question import parse
from smartpay_chat.service_layer.planner import screen
from smartpay_chat.testing import NOW, fields, plan


@pytest.mark.parametrize(("question", "expected"), [
    ("hey, quick one: volume yesterday?", {"metric": "volume", "window": {"period": "yesterday"}}),
    ("what's our revenue looking like this week, roughly", {"metric": "volume", "window": {"period": "this_week"}}),
    ("orders today", {"metric": "count", "window": {"period": "today"}}),
    ("payments by status this month", {"metric": "count", "group_by": ["status"], "window": {"period": "this_month"}}),
    ("approval rate right now", {"metric": "approval_rate", "window": {"period": "today"}}),
    ("how many pending right now", {"metric": "count", "filters": {"statuses": ["pending"]}}),
    ("decline rate last week, break down by gateway",
     {"metric": "decline_rate", "group_by": ["gateway"], "window": {"period": "last_week"}}),
    ("which 4 countries had the most payments last month",
     {"metric": "count", "group_by": ["country"], "top_n": 4, "window": {"period": "last_month"}}),
    ("top 2 countries by USD volume",
     {"metric": "volume", "filters": {"currencies": ["USD"]}, "group_by": ["country"], "top_n": 2}),
    ("captured volume last month", {"metric": "volume", "window": {"period": "last_month"}}),
    ("how many payments in status captured last month",
     {"metric": "count", "filters": {"statuses": ["captured"]}, "window": {"period": "last_month"}}),
    ("what did we take through stripe last week",
     {"metric": "volume", "filters": {"gateways": ["stripe"]}, "window": {"period": "last_week"}}),
    ("net of refunds last month", {"metric": "net", "window": {"period": "last_month"}}),
    ("how many payments had to switch to another gateway last week",
     {"metric": "count", "filters": {"fell_back": True}, "window": {"period": "last_week"}}),
    ("% of payments that fell back this month", {"metric": "fallback_rate", "window": {"period": "this_month"}}),
    ("what share of approved payments were refunded in november",
     {"metric": "refund_rate", "window": {"period": "month", "month": 11}}),
    ("payments from DE and FR last month",
     {"metric": "count", "filters": {"countries": ["DE", "FR"]}, "window": {"period": "last_month"}}),
    ("volume from BY", {"metric": "volume", "filters": {"countries": ["BY"]}}),
])
def test_paraphrases_plan(question, expected):
    assert fields(question) == expected


@pytest.mark.parametrize(("question", "zone"), [
    ("volume yesterday sydney time", "Australia/Sydney"), ("orders today new york time", "America/New_York"),
    ("payments today EST", "America/New_York"), ("volume yesterday PST", "America/Los_Angeles"),
    ("payments today in europe/paris", "Europe/Paris"), ("volume today utc+2", "Etc/GMT-2"),
    ("approval rate today on US Eastern time", "America/New_York"), ("payments yesterday in london", "Europe/London"),
])
def test_named_time_zones(question, zone):
    assert fields(question)["timezone"] == zone


@pytest.mark.parametrize(("question", "words"), [
    ("volume yesterday IST", "India, Ireland or Israel"), ("volume today utc+5:30", "half-hour"),
    ("approval rate for Visa cards this month", '"visa"'), ("payments via PayPal yesterday", '"paypal"'),
    ("volume by device last week", '"device"'), ("how many customers churned last month", '"customers"'),
    ("revenue excluding stripe last month", '"excluding"'), ("volume by", '"by"'), ("how many", "of what"),
    ("volume tomorrow", "future"), ("how many payments in lisbon yesterday", '"lisbon"'),
    ("how long do payments take on average", '"average"'), ("payments by county last week", '"county"'),
    ("payments refundd last month", '"refundd"'),  # near refund / refunds / refunded: a tie, never ignored
])
def test_words_that_could_change_the_plan_are_refused(question, words):
    found = plan(question)
    assert found.kind == "refusal" and words in found.reason, found


def test_typos_are_corrected_within_a_small_distance():
    assert fields("refnud rate this month")["metric"] == "refund_rate"
    assert fields("p95 latncy yesterday")["metric"] == "latency"
    assert fields("stirpe volume yesterday")["filters"] == {"gateways": ["stripe"]}
    assert fields("approval rate by gatway this month")["group_by"] == ["gateway"]


def test_the_typo_guard_keeps_known_words_and_guesses_no_tie():
    targets = frozenset({"status", "country", "reason", "reasons", "rate", "refund"})
    english = {"states", "county"}.__contains__
    assert typos.correction("states", targets, english) is None  # English: never "status"
    assert typos.correction("county", targets, english) is None
    assert typos.correction("contry", targets, english) == "country"
    assert typos.correction("rtae", targets, english) == "rate"  # a swap, the only edit short words get
    assert typos.correction("rat", targets, english) is None
    assert typos.correction("reasosn", targets, english) == "reasons"  # reason / reasons: the typo's length
    assert typos.correction("refunx", frozenset({"refund", "refunt"}), english) is None  # a tie: no guess
    assert typos.distance("latency", "latnecy", 2) == 1


def test_follow_ups_inherit_what_they_do_not_change():
    first = plan("volume on stripe last month")
    assert fields("and solana?", first)["filters"] == {"gateways": ["solana"]}
    assert fields("net?", first)["window"] == {"period": "last_month"}
    assert fields("in tokyo time", plan("volume yesterday"))["timezone"] == "Asia/Tokyo"
    follow = fields("how many were declined", plan("card payments yesterday"))
    assert follow["filters"] == {"methods": ["card"], "statuses": ["failed", "declined_fraud"]}


def test_relative_windows_and_the_money_of_the_payments_counted():
    assert fields("and the month before that?", plan("approval rate last month"))["window"] == {
        "period": "month", "month": 10}
    assert fields("the day before that", plan("payments yesterday"))["window"] == {
        "period": "on_date", "start_date": "2026-11-29"}
    assert plan("the month before that").kind == "refusal"  # nothing to step back from
    refunds = fields("and how much money was that?", plan("how many payments were refunded this week?"))
    # the refunded amount of the payments counted: their refunded filter kept (docs/chat.md's decision)
    assert (refunds["metric"], refunds.get("filters")) == (
        "refund_total", {"statuses": ["refunded", "partially_refunded"]})
    assert plan("how much money was that", plan("how many declined payments yesterday")).kind == "refusal"


def test_the_llm_schema_takes_the_new_filter():
    from smartpay_chat.adapters.llm import PaymentQuestionPlan

    parsed = PaymentQuestionPlan.model_validate(
        {"plan": {"kind": "aggregate", "metric": "count", "filters": {"fell_back": True}}})
    assert parsed.plan.filters.fell_back is True


# --- 1. questions that must be refused (after heldout_d's blind measurement, docs/chat.md)
@pytest.mark.parametrize("question", [
    "show revenue for m_beta", "volume for m_gamma last week", "how many declines did m_delta_2 have yesterday",
    "approval rate for merchant Globex this month", "what did merchant Initech's customers pay last week",
    "revenue of the merchant acme yesterday",
])
def test_a_question_about_another_merchant_is_refused_never_answered_with_ours(question):
    found = plan(question)
    assert found.kind == "refusal" and "your own merchant" in found.reason, found
    assert screen(question) is not None  # the LLM planners share the screen: no model sees it either


@pytest.mark.parametrize("question", ["volume in merchant time today", "payments today in our merchant local time"])
def test_the_merchant_words_of_a_time_zone_are_not_another_merchant(question):
    assert plan(question).kind == "aggregate"


@pytest.mark.parametrize("question", [
    "give me the card numbers of yesterday's declined payments", "list the card numbers of the refunded payments",
    "cvv of yesterday's failed card payments", "show full card details for last week's declines",
    "what are the PANs of today's payments", "card number for each payment over 500 this week",
    "expiry dates of the cards used yesterday", "how many payments had a security code mismatch",
])
def test_card_data_is_refused_not_turned_into_a_count(question):
    found = plan(question)
    assert found.kind == "refusal" and "never stored or shown" in found.reason, found


def test_card_payments_are_still_answered():
    assert fields("how many card payments were declined yesterday")["filters"]["methods"] == ["card"]


@pytest.mark.parametrize("question", [
    "Is my refund rate higher than last month?", "is our decline rate lower than last week?",
    "did we take more than last month?", "was stripe's approval rate better than solana's this week",
    "is the volume as high as in October",
])
def test_a_comparison_of_two_figures_is_refused(question):
    found = plan(question)
    assert found.kind == "refusal" and "compare" in found.reason, found


def test_an_amount_bound_is_not_a_comparison():
    assert fields("how many payments more than 200 last month")["filters"] == {"amount_gt": "200"}


# --- 2. readings that gave a wrong figure
def test_a_four_letter_typo_missing_one_letter_is_corrected_and_a_tie_is_not():
    targets = frozenset({"total", "count", "month"})
    assert typos.correction("totl", targets, lambda w: False) == "total"
    tie = frozenset({"rates", "rants"})
    assert typos.correction("rats", tie, lambda w: False) is None  # either letter dropped: a tie, no guess
    assert typos.near("rats", tie, lambda w: False)  # so the planner refuses it rather than ignore it
    assert not typos.near("zzzz", tie, lambda w: False)
    assert typos.correction("cont", targets, {"cont"}.__contains__) is None  # a known word is never changed
    found = fields("refund totl this mnth")
    assert (found["metric"], found.get("filters"), found["window"]) == ("refund_total", None, {"period": "this_month"})


@pytest.mark.parametrize("question", ["of the payments made with Amazon Pay last week, how many were declined?",
                                      "payments made with amazon pay this month, how many declined"])
def test_made_with_is_the_payment_method(question):
    found = fields(question)["filters"]
    assert found["methods"] == ["amazon_pay"] and "gateways" not in found


def test_how_many_payments_that_came_in_is_a_count():
    found = fields("how many EUR payments of at least 250 came in this week?")
    assert (found["metric"], found["filters"]) == ("count", {"currencies": ["EUR"], "amount_gte": "250"})
    assert fields("how much money came in this week")["metric"] == "volume"


def test_now_opening_a_follow_up_is_not_a_window():
    first = plan("top 3 countries by payment count this week")
    found = fields("now by volume", first)
    assert (found["metric"], found["window"], found["top_n"]) == ("volume", {"period": "this_week"}, 3)
    assert fields("payments now")["window"] == {"period": "today"}  # "now" as a time still is


def test_a_refund_total_follow_up_keeps_the_refunded_filter_it_inherits():
    first = plan("number of refunded payments this month")
    found = fields("how much was refunded in total?", first)
    assert (found["metric"], found["filters"]) == ("refund_total", {"statuses": ["refunded", "partially_refunded"]})
    money = fields("and how much money was that?", plan("how many payments were refunded this week?"))
    # the money of those: their refunded filter kept too (docs/chat.md's decision, 2026-12-06)
    assert (money["metric"], money["filters"]) == ("refund_total", {"statuses": ["refunded", "partially_refunded"]})
    assert fields("refund total of refunded payments this month").get("filters") is None


# --- 3. wordings that used to be refused
@pytest.mark.parametrize(("question", "window"), [
    ("fallback rate since midnight", {"period": "today"}),
    ("how many payments the day before yesterday", {"period": "on_date", "start_date": "2026-11-29"}),
    ("revenue the week before last", {"period": "between", "start_date": "2026-11-16", "end_date": "2026-11-22"}),
    ("net the month before last", {"period": "month", "month": 10}),
    ("sales from the 10th to the 16th of November",
     {"period": "between", "start_date": "2026-11-10", "end_date": "2026-11-16"}),
])
def test_more_relative_windows(question, window):
    assert fields(question)["window"] == window


def test_the_day_before_follows_up_in_the_last_questions_zone():
    first = plan("how much did we take yesterday, Tokyo time")
    found = fields("and the day before?", first)
    assert (found["window"], found["timezone"]) == ({"period": "on_date", "start_date": "2026-11-29"}, "Asia/Tokyo")


def test_worst_and_best_follow_the_metric_direction():
    worst = fields("countries by decline rate last week, worst 3")
    assert (worst["top_n"], worst.get("order", "desc")) == (3, "desc")  # the highest decline rates
    assert fields("worst gateway by approval rate last month")["order"] == "asc"
    best = fields("best 2 gateways by fallback rate this month")
    assert (best["top_n"], best["order"]) == (2, "asc")


@pytest.mark.parametrize(("question", "expected"), [
    ("% of txns that failed over to a 2nd gateway last week", {"metric": "fallback_rate"}),
    ("What did we earn last month once refunds are taken out?", {"metric": "net"}),
    ("How much did people spend with us on average last week?", {"metric": "average_order_value"}),
    ("What percentage of payments end up refunded?", {"metric": "refund_rate"}),
    ("how many payments of 50 or less were there yesterday?", {"metric": "count", "filters": {"amount_lte": "50"}}),
    ("txns of 500 or more this week", {"metric": "count", "filters": {"amount_gte": "500"}}),
    ("How much did I take in Bahraini dinars last month?", {"metric": "volume", "filters": {"currencies": ["BHD"]}}),
])
def test_wordings_now_answered(question, expected):
    found = fields(question)
    assert {k: found.get(k) for k in expected} == expected


def test_a_percentile_alone_is_latency_and_never_another_metric():
    found = fields("stripe p95 past 24 hours")
    assert (found["metric"], found["percentiles"]) == ("latency", [95.0])
    for question in ("median order value last week", "p95 payment amount yesterday", "p90 revenue this month"):
        found = plan(question)
        assert found.kind == "refusal" and "only for latency" in found.reason, question
    assert plan("median yesterday").kind == "refusal"  # a bare median names no figure


def test_customers_payments_are_the_payments_but_customers_are_not_counted():
    found = fields("how many of my customers' payments didn't go through last week?")
    assert (found["metric"], found["filters"]) == ("count", {"statuses": ["failed", "declined_fraud"]})
    assert plan("how many customers paid last week").kind == "refusal"
    assert plan("payments per customer this month").kind == "refusal"


# --- 2. after heldout_e's blind measurement (docs/chat.md): the wrong readings first, then the refused wordings
def test_a_single_zone_country_with_time_is_the_zone_and_without_it_the_country():
    found = fields("declines today in Bahrain time")
    assert (found["timezone"], found["filters"].get("countries")) == ("Asia/Bahrain", None)
    assert fields("payments from Bahrain today")["filters"]["countries"] == ["BH"]
    assert fields("payments today in Italy time")["timezone"] == "Europe/Rome"


def test_why_are_payments_getting_declined_keeps_its_filters_and_groups_by_reason():
    found = fields("why are card payments getting declined this week")
    assert found["group_by"] == ["reason"] and found["filters"] == {"statuses": ["failed", "declined_fraud"],
                                                                     "methods": ["card"]}


def test_a_window_in_days_does_not_make_a_ranking_plural():
    assert fields("which method has the lowest approval rate over the last 60 days")["top_n"] == 1
    assert fields("which methods have the lowest approval rate over the last 60 days")["top_n"] == 5


def test_fraud_decline_codes_are_the_reasons_of_the_fraud_declines():
    for question in ("top 5 fraud decline codes last month", "decline reasons for fraud declines last month"):
        found = fields(question)
        assert (found["group_by"], found["filters"]["statuses"]) == (["reason"], ["declined_fraud"]), question


def test_make_it_n_re_ranks_the_last_grouping_and_a_ranking_of_nothing_is_refused():
    base = plan("top 3 countries by payment count last month")
    found = fields("make it 5", base)
    assert (found["top_n"], found["group_by"], found["window"]) == (5, ["country"], {"period": "last_month"})
    for question in ("make it 5", "the top 3 please"):
        found = plan(question)
        assert found.kind == "refusal" and "ranking" in found.reason, question


def test_a_word_with_its_vowels_left_out_is_corrected_only_when_one_word_fits():
    words = frozenset({"approval", "approved", "refund", "refunds", "refunded", "march", "payment", "payments"})
    assert typos.correction("apprvl", words, lambda w: False) == "approval"
    assert typos.correction("refnd", words, lambda w: False) == "refund"
    assert typos.correction("pymnt", words, lambda w: False) == "payment"
    assert typos.correction("rfndd", words, lambda w: False) == "refunded"
    assert typos.correction("rfnd", words, lambda w: False) is None  # under five letters: not guessed
    assert typos.correction("rfnds", words, lambda w: False) == "refunds"  # the "s" is kept: not refund
    two = frozenset({"latency", "lately"})  # "ltncy" could only be latency; "ltly" is too short
    assert typos.correction("ltncy", two, lambda w: False) == "latency"
    assert typos.correction("apprvl", words, lambda w: w == "apprvl") is None  # a known word is never changed


@pytest.mark.parametrize(("question", "expected"), [
    ("hw many orders did i get 2day", {"metric": "count", "window": {"period": "today"}}),
    ("wat did we make yday", {"metric": "volume", "window": {"period": "yesterday"}}),
    ("gmv last 30 days", {"metric": "volume", "window": {"period": "last_n_days", "n": 30}}),
    ("apprvl rate today", {"metric": "approval_rate", "window": {"period": "today"}}),
    ("how many payments are still processing", {"metric": "count", "filters": {"statuses": ["pending"]}}),
    ("how much in pounds since monday",
     {"metric": "volume", "filters": {"currencies": ["GBP"]}, "window": {"period": "since_weekday", "weekday": 0}}),
    ("how many payments ended on a different gateway than the first one tried, last 30 days",
     {"metric": "count", "filters": {"fell_back": True}, "window": {"period": "last_n_days", "n": 30}}),
    ("median time to final outcome for card payments last week",
     {"metric": "latency", "filters": {"methods": ["card"]}, "window": {"period": "last_week"}, "percentiles": [50.0]}),
    ("how much time did stripe payments take last week",
     {"metric": "latency", "filters": {"gateways": ["stripe"]}, "window": {"period": "last_week"}}),
])
def test_wordings_answered_after_heldout_e(question, expected):
    assert fields(question) == expected


@pytest.mark.parametrize("question", ["how much", "how much do we owe", "how much fraud yesterday",
                                      "how many payments ended on a different day"])
def test_the_new_readings_do_not_answer_what_they_cannot(question):
    assert plan(question).kind == "refusal", question


# --- after heldout_f's blind measurement (docs/chat.md): the wrong reading first, then the pieces that were missing
def test_a_glossary_status_name_is_the_status_and_an_unknown_underscore_word_is_never_ignored():
    found = fields("declined_fraud count by country last 36h")  # answered blind with the status dropped
    assert (found["filters"], found["group_by"], found["window"]) == (
        {"statuses": ["declined_fraud"]}, ["country"], {"period": "last_n_hours", "n": 36})
    assert fields("partially_refunded payments last month")["filters"] == {"statuses": ["partially_refunded"]}
    for question in ("risk_level count today", "fraud_score over 50 today", "payments by card_brand"):
        found = plan(question)
        assert found.kind == "refusal" and "_" in found.reason, question


@pytest.mark.parametrize(("question", "statuses"), [
    ("txns with status failed on stripe since midnight", ["failed"]),
    ("txns with the status failed today", ["failed"]),  # a filter, not "with the status" (a grouping)
    ("count where status is pending", ["pending"]),
    ("payments with status = refunded last week", ["refunded"]),  # the glossary status, not partially refunded too
    ("payments in state captured yesterday", ["captured"]),
])
def test_status_followed_by_a_glossary_name_is_exactly_that_status(question, statuses):
    found = fields(question)
    assert found["filters"]["statuses"] == statuses and "group_by" not in found


def test_status_with_a_word_that_is_no_status_name_is_refused_and_a_status_grouping_still_groups():
    assert plan("how many payments with status declined today").kind == "refusal"  # failed, or failed and fraud?
    assert fields("show payments with their status this week")["group_by"] == ["status"]
    found = fields("payments by status failed ones this week")  # "by status" stays a grouping
    assert (found["group_by"], found["filters"]) == (["status"], {"statuses": ["failed"]})


@pytest.mark.parametrize(("said", "written"), [
    ("the last forty eight hours", "the last 48 hours"), ("forty-eight hours", "48 hours"),
    ("over five hundred dollars", "over 500 dollars"), ("two hundred and fifty", "250"),
    ("a thousand euros", "1000 euros"), ("two thousand and five", "2005"), ("fifteen hundred", "1500"),
    ("one thousand two hundred", "1200"), ("top ten", "top 10"),
    ("october twenty twenty six", "october 2026"), ("nineteen ninety nine", "1999"),
    ("the ninety fifth percentile", "the 95th percentile"), ("the fifteenth of november", "the 15th of november"),
    ("november first and november seventh", "november 1st and november 7th"), ("march the second", "march the 2nd"),
    ("from the first to the seventh of november", "from the 1st to the 7th of november"),
    ("the twenty first of may", "the 21st of may"), ("the third busiest", "the 3rd busiest"),
    ("over one euro", "over 1 euro"), ("the past one hour", "the past 1 hour"),
    # words that are numbers only in some places stay words elsewhere
    ("which one", "which one"), ("the first gateway tried", "the first gateway tried"),
    ("a second gateway", "a second gateway"), ("between two and five", "between 2 and 5"),
    ("between two hundred and five hundred", "between 200 and 500"),
    ("between two and five hundred", "between two and 500"),  # 2 or 200? kept in words, so it is refused
])
def test_numbers_in_words_are_written_in_digits_where_they_are_numbers(said, written):
    assert spoken.digits(said) == written


@pytest.mark.parametrize(("said", "written"), [
    ("approval rate buy gateway", "approval rate by gateway"), ("volume bye the currency", "volume by the currency"),
    ("what did they buy with cards", "what did they buy with cards"),  # "by" does not fit: kept
    ("what percent were approved last weak", "what percent were approved last week"),
    ("payments this weak", "payments this week"), ("a weak gateway", "a weak gateway"),
    ("total sells this month", "total sales this month"), ("sells by country", "sales by country"),
    ("which gateway sells the most", "which gateway sells the most"),  # the verb: kept
])
def test_homophones_are_read_only_where_one_reading_fits(said, written):
    assert spoken.homophones(said) == written


@pytest.mark.parametrize(("question", "expected"), [
    ("number of payments in the last forty eight hours", {"metric": "count", "window": {"period": "last_n_hours", "n": 48}}),
    ("what's the ninety fifth percentile latency on stripe today",
     {"metric": "latency", "filters": {"gateways": ["stripe"]}, "window": {"period": "today"}, "percentiles": [95.0]}),
    ("payments over five hundred dollars this week",
     {"metric": "count", "filters": {"currencies": ["USD"], "amount_gt": "500"}, "window": {"period": "this_week"}}),
    ("Decline rate for payments of 1,000 euros or more this year.",
     {"metric": "decline_rate", "filters": {"currencies": ["EUR"], "amount_gte": "1000"},
      "window": {"period": "between", "start_date": "2026-01-01", "end_date": "2026-12-01"}}),
    ("payments over one euro", {"metric": "count", "filters": {"currencies": ["EUR"], "amount_gt": "1"}}),
    ("approval rate buy gateway this week",
     {"metric": "approval_rate", "group_by": ["gateway"], "window": {"period": "this_week"}}),
    ("total sells this month", {"metric": "volume", "window": {"period": "this_month"}}),
    ("what percent of payments were approved last weak", {"metric": "approval_rate", "window": {"period": "last_week"}}),
])
def test_spoken_numbers_and_homophones_are_answered(question, expected):
    assert fields(question) == expected


@pytest.mark.parametrize(("question", "window"), [
    ("What was our GMV for November 2026, by currency?", {"period": "month", "month": 11}),  # the latest November
    ("whats the refund rate for october twenty twenty six", {"period": "month", "month": 10}),
    ("revenue for october 2025", {"period": "between", "start_date": "2025-10-01", "end_date": "2025-10-31"}),
    ("revenue in december 2026", {"period": "month", "month": 12}),
    ("revenue in 2025", {"period": "between", "start_date": "2025-01-01", "end_date": "2025-12-31"}),
    ("revenue for twenty twenty five", {"period": "between", "start_date": "2025-01-01", "end_date": "2025-12-31"}),
    ("volume on november 15 2026", {"period": "on_date", "start_date": "2026-11-15"}),
    ("volume between november 1 2026 and november 7 2026",
     {"period": "between", "start_date": "2026-11-01", "end_date": "2026-11-07"}),
    ("how many payments from france between november first and november seventh",
     {"period": "between", "start_date": "2026-11-01", "end_date": "2026-11-07"}),
    ("how many refunds on the fifteenth of november", {"period": "on_date", "start_date": "2026-11-15"}),
    ("refund total on november the fifteenth", {"period": "on_date", "start_date": "2026-11-15"}),
    ("Net revenue in US dollars for the previous calendar month.", {"period": "last_month"}),
    ("approval rate for the previous calendar week", {"period": "last_week"}),
    ("What is the turnover of this month till date?", {"period": "this_month"}),
    ("fallback rate month till date", {"period": "this_month"}),
    ("refunds this week to date", {"period": "this_week"}),
])
def test_months_with_a_year_years_calendar_and_to_date_windows(question, window):
    assert fields(question)["window"] == window


@pytest.mark.parametrize(("question", "reason"), [
    ("volume in 2027", "future"), ("volume for january 2027", "future"), ("volume on december 15 2026", "future"),
    ("volume on 2027-01-01", "future"),
    ("payments on november 31", "does not exist"),  # was an unhandled ValueError
    ("volume from the 16th to the 10th of november", "ends before it starts"),
])
def test_a_date_that_has_not_happened_or_does_not_exist_is_refused(question, reason):
    found = plan(question)
    assert found.kind == "refusal" and reason in found.reason, found


@pytest.mark.parametrize("question", [
    "the third busiest gateway last week",  # an ordinal the grammar cannot place: refused, not the busiest one
    "payments between two and five hundred euros last week",  # 2 or 200 to 500
    "payments in 2000 euros",  # a year, or an amount?
    "revenue in the financial year 2025",
])
def test_numbers_the_grammar_cannot_place_are_still_refused(question):
    assert plan(question).kind == "refusal", question


# heldout_g's wrong answers: a range's end dropped, days read as amounts, "more" as "most".
@pytest.mark.parametrize(("question", "window"), [
    ("Refunded payments for the period 10 November to 16 November 2026",
     {"period": "between", "start_date": "2026-11-10", "end_date": "2026-11-16"}),
    ("Total refunded amount for the period 15 October to 31 October 2026",
     {"period": "between", "start_date": "2026-10-15", "end_date": "2026-10-31"}),
    ("volume 15 October to 31 October 2025",  # the year said once is both dates'
     {"period": "between", "start_date": "2025-10-15", "end_date": "2025-10-31"}),
    ("count 2026-11-01 to 2026-11-07", {"period": "between", "start_date": "2026-11-01", "end_date": "2026-11-07"}),
    ("volume 10-16 November", {"period": "between", "start_date": "2026-11-10", "end_date": "2026-11-16"}),
    ("Volume per day between 23 and 29 November 2026",
     {"period": "between", "start_date": "2026-11-23", "end_date": "2026-11-29"}),
    ("total approved volume between 1 November and 7 November 2026, both dates inclusive",
     {"period": "between", "start_date": "2026-11-01", "end_date": "2026-11-07"}),
    ("Approval rate from 20 November 2026 up to now",
     {"period": "between", "start_date": "2026-11-20", "end_date": "2026-12-01"}),
    ("failed payments of the day 15 of November", {"period": "on_date", "start_date": "2026-11-15"}),
])
def test_a_range_of_dates_keeps_both_ends(question, window):
    found = fields(question)
    assert found["window"] == window and "amount_gte" not in found.get("filters", {})


def test_two_numbers_between_are_still_amounts_without_a_month():
    assert fields("payments between 10 and 20 euros")["filters"] == {
        "currencies": ["EUR"], "amount_gte": "10", "amount_lte": "20"}


@pytest.mark.parametrize("question", [
    "volume on Nov 10 and Nov 16",  # two days: no window holds them, and the second was once dropped
    "volume yesterday and last week",
    "how many payments on Monday and Tuesday",
    "volume between Nov 1 and Nov 7 exclusive",  # "exclusive" would change the range: refused, not ignored
])
def test_a_second_window_or_an_exclusive_range_is_refused_not_dropped(question):
    assert plan(question).kind == "refusal", question


@pytest.mark.parametrize(("question", "ranking"), [
    ("Which gateway has more declines this week?", {"top_n": 1, "group_by": ["gateway"]}),
    ("which gateways have more declines this month", {"top_n": 5, "group_by": ["gateway"]}),
    ("which country has fewer payments", {"top_n": 1, "group_by": ["country"], "order": "asc"}),
    ("the 3 reasons more common of decline last week", {"top_n": 3, "group_by": ["reason"]}),
])
def test_more_without_than_where_a_ranking_stands_is_the_most(question, ranking):
    found = fields(question)
    assert {k: found.get(k) for k in ranking} == ranking


def test_more_than_is_still_a_comparison():
    assert "compare" in plan("which gateway has more declines than stripe").reason


# heldout_g: an analyst's terse, SQL-ish questions.
@pytest.mark.parametrize(("question", "expected"), [
    ("avg order value eur 90d",
     {"metric": "average_order_value", "filters": {"currencies": ["EUR"]}, "window": {"period": "last_n_days", "n": 90}}),
    ("median latency solana wallet 7d", {"metric": "latency", "filters": {"methods": ["solana_wallet"]},
                                         "window": {"period": "last_n_days", "n": 7}, "percentiles": [50.0]}),
    ("latency p95 24h", {"metric": "latency", "window": {"period": "last_n_hours", "n": 24}, "percentiles": [95.0]}),
    ("count amount>=1000 jpy last 30d", {"metric": "count", "filters": {"currencies": ["JPY"], "amount_gte": "1000"},
                                         "window": {"period": "last_n_days", "n": 30}}),
    ("volume gbp where country=GB, last week",
     {"metric": "volume", "filters": {"currencies": ["GBP"], "countries": ["GB"]}, "window": {"period": "last_week"}}),
    ("volume country=it 7d",  # after "country =" a code is a code, whatever its case ("it" is not the word here)
     {"metric": "volume", "filters": {"countries": ["IT"]}, "window": {"period": "last_n_days", "n": 7}}),
    ("count currency=eur gateway=amazon_pay method=card 7d",
     {"metric": "count", "filters": {"gateways": ["amazon_pay"], "currencies": ["EUR"], "methods": ["card"]},
      "window": {"period": "last_n_days", "n": 7}}),
    ("sum(amount) approved group by currency mtd",
     {"metric": "volume", "group_by": ["currency"], "window": {"period": "this_month"}}),
    ("count(*) 7d", {"metric": "count", "window": {"period": "last_n_days", "n": 7}}),
    ("decline rate by country desc limit 3 last 30d", {"metric": "decline_rate", "group_by": ["country"], "top_n": 3,
                                                       "window": {"period": "last_n_days", "n": 30}}),
    ("decline rate by country asc limit 2", {"metric": "decline_rate", "group_by": ["country"], "order": "asc",
                                             "top_n": 2}),
    ("decline rate by country asc", {"metric": "decline_rate", "group_by": ["country"], "order": "asc"}),
])
def test_sql_ish_operators_and_bare_durations(question, expected):
    assert fields(question) == expected


@pytest.mark.parametrize("question", [
    "count status=declined last week",  # declined is not one status
    "count status != failed 7d",  # a negation
    "volume gateway=paypal 7d", "volume country=xx 7d",  # values the data does not have
    "max(amount) eur 7d", "count(distinct customer) 7d", "count amount = 100 7d",
    "payments pending for 2 days", "how many payments 3 days ago",  # a duration or a date, not the last N days
])
def test_sql_ish_questions_the_plan_cannot_hold_are_refused(question):
    assert plan(question).kind == "refusal", question


@pytest.mark.parametrize(("question", "group_by"), [
    ("count by status, method last 48h", ["status", "method"]),
    ("count by gateway, status between 2026-11-01 and 2026-11-07", ["gateway", "status"]),
    ("approval rate by gateway, country, method this week", ["gateway", "country", "method"]),
    ("count of fallbacks by final gateway last 14d", ["gateway"]),  # the gateway dimension is the final attempt's
])
def test_a_comma_list_of_groupings_and_the_final_gateway(question, group_by):
    assert fields(question)["group_by"] == group_by


def test_a_comma_after_a_grouping_before_a_filter_stays_a_filter():
    found = fields("count by gateway, status failed")
    assert found["group_by"] == ["gateway"] and found["filters"] == {"statuses": ["failed"]}


@pytest.mark.parametrize("question", ["count by first gateway last 14d", "how many payments were first tried on stripe",
                                      "volume by initial gateway"])
def test_the_gateway_tried_first_is_refused_not_read_as_the_final_one(question):
    assert "final attempt" in plan(question).reason


# heldout_g: a Spanish / Portuguese speaker's English, and a marketplace's words.
@pytest.mark.parametrize(("question", "expected"), [
    ("Which is the total of sales of last week?", {"metric": "volume", "window": {"period": "last_week"}}),
    ("How much we sold in the actual month?", {"metric": "volume", "window": {"period": "this_month"}}),
    ("What is the percentage of approval of the payments with card this week?",
     {"metric": "approval_rate", "filters": {"methods": ["card"]}, "window": {"period": "this_week"}}),
    ("How many refunds partial we did this month?",
     {"metric": "count", "filters": {"statuses": ["partially_refunded"]}, "window": {"period": "this_month"}}),
    ("Total of the devolutions of last week", {"metric": "refund_total", "window": {"period": "last_week"}}),
    ("total of the refunds of last week", {"metric": "refund_total", "window": {"period": "last_week"}}),
    ("Which are the 3 reasons more common of decline last week?",
     {"metric": "count", "filters": {"statuses": ["failed", "declined_fraud"]}, "group_by": ["reason"], "top_n": 3,
      "window": {"period": "last_week"}}),
    ("What was our GMV across the marketplace yesterday?", {"metric": "volume", "window": {"period": "yesterday"}}),
    ("How much did buyers pay us in euros last week, before refunds?",
     {"metric": "volume", "filters": {"currencies": ["EUR"]}, "window": {"period": "last_week"}}),
])
def test_spanish_and_portuguese_speakers_wordings(question, expected):
    assert fields(question) == expected


@pytest.mark.parametrize("question", [
    "how much did we pay last week",  # what the merchant paid is not the volume
    "net before refunds last week",  # contradictory: refused, not read as gross or net
    "volume across the platform yesterday",  # the platform: every merchant, not this one
])
def test_nearby_wordings_that_mean_something_else_are_refused(question):
    assert plan(question).kind == "refusal", question


# heldout_g: a story around the question is set aside only when it cannot change the plan (domain/narrative.py).
@pytest.mark.parametrize(("question", "expected"), [
    ("What's the decline rate on Amazon Pay today? Several customers reported issues",
     {"metric": "decline_rate", "filters": {"gateways": ["amazon_pay"]}, "window": {"period": "today"}}),
    ("Customer from France says their payment was declined - how many declines from France today?",
     {"metric": "count", "filters": {"statuses": ["failed", "declined_fraud"], "countries": ["FR"]},
      "window": {"period": "today"}}),
    ("a customer from Spain says their card was declined yesterday, how many Spanish card payments were declined "
     "yesterday?", {"metric": "count", "filters": {"statuses": ["failed", "declined_fraud"], "methods": ["card"],
                                                   "countries": ["ES"]}, "window": {"period": "yesterday"}}),
    ("Several customers reported issues. Decline rate today?",
     {"metric": "decline_rate", "window": {"period": "today"}}),
])
def test_a_story_around_the_question_is_set_aside(question, expected):
    assert fields(question) == expected


@pytest.mark.parametrize("question", [
    "Exclude the big ones. How many payments today?",  # a negation
    "A customer filed a chargeback. How many declines today?",  # out of scope
    "Customer says it was not declined - how many declines today?",
    "decline rate today, customers in Tokyo are complaining",  # a place the question may be about
    "decline rate today, customers on PayPal are complaining", "decline rate today, customers on paypal are complaining",
    "a customer from Spain says their card was declined last week, how many Spanish card payments were declined "
    "yesterday?",  # another window
    "Ticket 4821: customer says card declined. How many declines today?",  # a number
    # clauses that narrow the question (a kind of customer, "only", "ignoring"): answering without them is wrong
    "refund rate this month, for premium customers", "volume yesterday - new customers only",
    "approval rate today, ignoring test payments", "decline rate today. Premium customers reported issues",
    "decline rate today, several customers are unhappy",  # no reporting verb and not filler
])
def test_a_clause_that_could_change_the_plan_is_not_a_story(question):
    assert plan(question).kind == "refusal", question


def counting_parse():
    calls = []

    def parse_part(text):
        calls.append(text)
        return parse(text, NOW.date(), is_known)
    return parse_part, calls


def test_a_question_stuffed_with_commas_is_refused_without_parsing_its_runs():
    # 69 clauses once cost a parse per run of clauses (~2,400 parses, 31.7 s of CPU: past the Lambda's 30 s)
    question = "how many declines today" + "".join(f", on b{a}{b}" for a in "bcdefgh" for b in "abcdefghij")
    question = question[:500].rsplit(",", 1)[0]
    assert len(question) > 490 and len(narrative.clauses(question)) > narrative.MAX_CLAUSES
    parse_part, calls = counting_parse()
    assert narrative.without_story(question, parse_part) is None
    assert calls == []
    assert plan(question).kind == "refusal"


def test_a_story_costs_a_parse_per_prefix_or_suffix_and_each_text_is_parsed_once():
    question = ("Several customers reported issues. A buyer said so - customers complained; "
                "a shopper mentioned problems, a client asked. What's the decline rate on Stripe today?")
    parts = narrative.clauses(question)
    assert len(parts) == narrative.MAX_CLAUSES
    parse_part, calls = counting_parse()
    found = narrative.without_story(question, parse_part)
    assert found is not None and found.metric == "decline_rate" and found.gateways == ("stripe",)
    assert len(calls) == len(set(calls)) <= 3 * len(parts) - 2
    assert fields(question) == {"metric": "decline_rate", "filters": {"gateways": ["stripe"]},
                                "window": {"period": "today"}}
    longer = "Hi. " + question
    assert len(narrative.clauses(longer)) == narrative.MAX_CLAUSES + 1 and plan(longer).kind == "refusal"


@pytest.mark.parametrize("question", ["which is the slowest", "volume limit 3", "top 3 volume"])
def test_a_ranking_of_nothing_is_refused_even_with_a_figure(question):
    # "which is ..." is now read as "what is": a ranking with no grouping must not become one ungrouped figure
    assert "something to rank" in plan(question).reason
