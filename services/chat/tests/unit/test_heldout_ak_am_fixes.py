"""The misses of heldout_ak's, heldout_am's and heldout_an's blind measurements fixed in session 21 (issue #17,
docs/chat.md). Wordings here are our own, not the batches' lines: "<country> time" for a country with one zone was
read as the country filter with the zone dropped (19 wrong answers in heldout_am); cities outside the zone table
("Quito time") were refused; three-part zones were named by their old link; run-together and misheard words
("thismonth" was dropped: an all-time figure); "are orders up on last week" was answered; "retry" was answered."""

import pytest

from smartpay_chat.domain import zones
from smartpay_chat.testing import fields, plan


@pytest.mark.parametrize(("question", "zone"), [
    ("volume yesterday in Tonga time", "Pacific/Tongatapu"), ("how many payments today, Montenegro time", "Europe/Podgorica"),
    ("approval rate this week bahamas time", "America/Nassau"), ("refunds yesterday in Laos time", "Asia/Vientiane"),
    ("net revenue this month lebanese time", "Asia/Beirut")])
def test_a_country_with_one_zone_before_time_is_that_zone_never_the_country_filter(question, zone):
    found = fields(question)
    assert found["timezone"] == zone and "countries" not in found.get("filters", {}), found


def test_the_country_itself_is_still_a_filter():
    found = fields("volume from Montenegro last week")
    assert found["filters"]["countries"] == ["ME"] and found.get("timezone", "UTC") == "UTC", found


@pytest.mark.parametrize("question", ["sales today ecuador time", "payments yesterday in Kiribati time",
                                      "volume this week, Mongolian time"])
def test_a_country_whose_zones_differ_is_refused(question):
    assert plan(question).kind == "refusal", plan(question)


@pytest.mark.parametrize(("question", "zone"), [
    ("reservations today quito time", "America/Guayaquil"), ("how much did we take yesterday in Glasgow time", "Europe/London"),
    ("count yesterday, Nashville time", "America/Chicago"), ("volume today calgary time", "America/Edmonton"),
    ("Calgary time: yesterday's approval rate", "America/Edmonton"), ("Ottawa time: volume today", "America/Toronto"),
    ("how many payments yesterday, Calgary tz", "America/Edmonton")])
def test_a_city_from_the_gazetteer_names_its_zone(question, zone):
    assert fields(question)["timezone"] == zone


@pytest.mark.parametrize("question", ["volume today birmingham time", "payments yesterday portland time"])
def test_a_city_name_places_in_several_zones_share_is_refused(question):
    assert plan(question).kind == "refusal", plan(question)


@pytest.mark.parametrize(("question", "metric"), [("p95 response time today", "latency"),
                                                  ("approval rate at any time", "approval_rate"),
                                                  ("median processing time yesterday", "latency")])
def test_the_grammar_s_own_words_before_time_are_never_a_city(question, metric):
    found = fields(question)
    assert found["metric"] == metric and found.get("timezone", "UTC") == "UTC", found


@pytest.mark.parametrize(("question", "zone"), [("orders today indianapolis time", "America/Indiana/Indianapolis"),
                                                ("volume yesterday louisville time", "America/Kentucky/Louisville")])
def test_a_three_part_zone_is_named_by_its_canonical_name(question, zone):
    assert fields(question)["timezone"] == zone


def test_the_zone_tables_are_generated_data_with_known_entries():
    assert zones.COUNTRY_ZONES["tonga"] == "Pacific/Tongatapu" and "ecuador" in zones.MULTI_ZONE
    assert "reading" not in zones.CITY_ZONES and "mobile" not in zones.CITY_ZONES  # words, not places


@pytest.mark.parametrize(("question", "period"), [("average order value thismonth", "this_month"),
                                                  ("refunds lastweek", "last_week"),
                                                  ("fallback rate lastmonth", "last_month"),
                                                  ("volume this weak", "this_week")])
def test_run_together_and_misheard_window_words_are_split(question, period):
    assert fields(question)["window"]["period"] == period


@pytest.mark.parametrize(("question", "group"), [("orders per our yesterday", "hour"), ("sales buy gateway today", "gateway")])
def test_misheard_by_and_hour_group(question, group):
    assert fields(question)["group_by"] == [group]


def test_howmany_and_to_day():
    found = fields("howmany orders to day")
    assert found["metric"] == "count" and found["window"]["period"] == "today", found


def test_bills_after_a_counting_word_are_payments_a_thing_sold_before_them_is_left():
    assert fields("how many bills failed yesterday")["filters"]["statuses"] == ["failed"]
    assert plan("how many plumbing bills failed yesterday").kind == "refusal"


def test_bookings_by_a_grouping_are_payments_by_it():
    assert fields("bookings by country last month")["group_by"] == ["country"]


def test_bouncing_is_declined():
    assert fields("how many card payments were bouncing this week")["filters"]["statuses"] == ["failed", "declined_fraud"]


def test_a_code_alone_with_only_is_the_country():
    previous = plan("approval rate this month")
    assert fields("FR only", previous)["filters"]["countries"] == ["FR"]
    assert fields("IT only", previous)["filters"]["countries"] == ["IT"]
    assert "countries" not in fields("it only", previous).get("filters", {})  # a pronoun, lower case


@pytest.mark.parametrize("question", ["are orders up on last week", "sales down vs yesterday",
                                      "is volume up on the previous month"])
def test_up_or_down_on_a_period_is_a_comparison(question):
    assert plan(question).kind == "refusal"


def test_retrying_is_an_action_not_a_question():
    assert plan("retry failed payments from yesterday").kind == "refusal"


def test_how_long_to_go_through_is_every_payment_s_latency():
    found = fields("how long did card payments take to go thru yesterday")
    assert found["metric"] == "latency" and "statuses" not in found["filters"], found


# The session's review (an outside reviewer's ~2,000 wordings against the rules above): what they must not do.
@pytest.mark.parametrize("question", ["payments per our records last week", "as per our records, how many refunds last month",
                                      "average payment per our customer"])
def test_per_our_is_per_hour_only_before_a_window_or_at_the_end(question):
    found = plan(question)
    assert found.kind == "refusal" or "hour" not in found.group_by, found


@pytest.mark.parametrize("question", ["did revenue bounce back this week", "how fast did revenue bounce back"])
def test_bounce_back_is_no_decline(question):
    found = plan(question)
    assert found.kind == "refusal" or not found.filters.statuses, found


@pytest.mark.parametrize("question", ["payments last week >> switch to day", "revenue this month >> break it down to day",
                                      "how many payments up to day"])
def test_to_day_after_a_step_or_up_is_not_today(question):
    previous = None
    for turn in question.split(" >> "):
        found = plan(turn, previous)
        previous = found if found.kind == "aggregate" else None
    assert found.kind == "refusal" or found.window is None or found.window.period != "today", found


@pytest.mark.parametrize("question", ["how much are my bills this month", "total of my bills this month"])
def test_my_bills_are_the_merchant_s_own_not_its_payments(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize("question", ["Tonga time series of payments this month", "payments from Montenegro time-series by day",
                                      "Bahamas time to settle"])
def test_time_series_and_time_to_are_no_zone(question):
    found = plan(question)
    assert found.kind == "refusal" or found.timezone == "UTC", found


@pytest.mark.parametrize("question", ["payments today by hour in DR Congo time", "volume today Papua New Guinea time",
                                      "Ontario time payments yesterday"])
def test_a_longer_place_or_a_province_is_not_its_namesake_zone(question):
    assert plan(question).kind == "refusal"


def test_a_weak_rate_keeps_its_meaning():
    assert plan("which gateway has a weak approval rate").kind == "aggregate"
