"""Issue #17 item 1 on the deterministic planner (no engine): filler ignored but plan-changing words refused,
typos within a small edit distance but never onto another known word, named time zones, bare counts, "right
now", "break down by", numeric top-N, values only where a value fits, METRICS.md's captured volume."""

from datetime import UTC, datetime

import pytest

from smartpay_chat.domain import typos
from smartpay_chat.service_layer.planner import DeterministicPlanner

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
P = DeterministicPlanner()


def plan(question, previous=None):
    return P.plan(question, previous, NOW, "UTC")


def fields(question, previous=None):
    found = plan(question, previous)
    assert found.kind == "aggregate", getattr(found, "reason", found)
    return found.model_dump(exclude_defaults=True, mode="json")


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
    assert (refunds["metric"], refunds.get("filters")) == ("refund_total", None)
    assert plan("how much money was that", plan("how many declined payments yesterday")).kind == "refusal"


def test_the_llm_schema_takes_the_new_filter():
    from smartpay_chat.adapters.llm import PaymentQuestionPlan

    parsed = PaymentQuestionPlan.model_validate(
        {"plan": {"kind": "aggregate", "metric": "count", "filters": {"fell_back": True}}})
    assert parsed.plan.filters.fell_back is True
