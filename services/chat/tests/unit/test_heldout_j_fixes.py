"""The misses of heldout_j's blind measurement (issue #17, docs/chat.md), fixed at their cause as rules, each read
against docs/chat.md and METRICS.md: net's own definition ("gross minus refunded amounts") is net, and refunds are
subtracted from nothing but the money taken; latency's own definition ("from creation to final outcome") is latency;
a glossary status name before "status" ("in the partially_refunded status") is that status; "counts" is a count and
"the merchant's time zone" the configured one; a lone "how many" stays refused whatever opener or hedge is around it
when there is nothing to follow; the gateway tried first is refused with its reason, the words in either order."""

import pytest

from smartpay_chat.domain.question import FIRST_GATEWAY_REASON
from smartpay_chat.testing import fields, plan

# 1. net's definition in its own words


@pytest.mark.parametrize("question", [
    "Net volume, meaning gross minus refunded amounts, for last month",
    "gross minus refunded amounts last month", "net, i.e. gross minus the refunded amount, last month",
    "revenue less the refunded money for last month", "sales minus what was refunded last month",
    "gross less refund amounts last month", "what did we take last month minus the amounts refunded",
    "revenue minus refunds last month", "net revenue after refunds last month",
])
def test_gross_minus_the_refunded_money_is_net(question):
    assert fields(question) == {"metric": "net", "window": {"period": "last_month"}}


@pytest.mark.parametrize("question", [
    "volume minus stripe last month",  # "minus" a gateway: a negation, never ignored
    "payments minus the failed ones last month",
    "gross minus fees last month",  # fees: not held
    "revenue minus chargebacks last month",
    "approval rate minus refunds last month",  # it was the approval rate: refunds come off money only
    "how many payments excluding refunds last month",  # it was answered as net
    "average order value minus refunds last month",
    "refunds minus the partial ones last month",
    "volume excluding refunded payments last month",  # whole payments left out: not net (stays refused)
    "were there less refunds last month",  # "less" not after the money taken: a comparison (it was answered as net)
    "how many payments after refunds last month",  # it was answered as net
])
def test_minus_outside_nets_definition_is_still_refused(question):
    assert plan(question).kind == "refusal"


@pytest.mark.parametrize(("question", "window"), [
    # "less" after any of the volume figure's words, anywhere in the question (a review of the fix above: only a
    # partial copy of them was read, and these were refused)
    ("how much did we make less refunds this month", {"period": "this_month"}),
    ("what did we take less refunds yesterday", {"period": "yesterday"}),
    ("how much money came in less refunds", None),
    ("earnings less refunds", None), ("proceeds less refunds today", {"period": "today"}),
    ("gpv less refunds", None), ("volume last week less refunds", {"period": "last_week"}),
])
def test_less_refunds_with_any_volume_words_is_net(question, window):
    found = fields(question)
    assert (found["metric"], found.get("window")) == ("net", window)


def test_the_refunded_amount_alone_is_still_the_refund_total():
    assert fields("refunded amount last month")["metric"] == "refund_total"


# 2. latency's definition in its own words


@pytest.mark.parametrize("question", [
    "Latency from creation to final outcome, 99th percentile, this week",
    "time from creation to final outcome, p99, this week",
    "p99 of the time between creation and the final outcome this week",
    "99th percentile latency from payment creation to final result this week",
    "how long from being created to a final decision, 99th percentile, this week",
    "latency creation -> final outcome p99 this week",
    "99th percentile time from when the payment was created to its final state this week",
])
def test_latency_in_its_definitions_words_is_latency(question):
    found = fields(question)
    assert (found["metric"], found["percentiles"], found["window"]) == ("latency", [99.0], {"period": "this_week"})


@pytest.mark.parametrize("question", [
    "payments from creation last week",  # an unknown word where a value stands
    "volume by creation date this week",  # a grouping we do not have
    "how many payments were created on stripe and refunded",  # not latency's definition: no outcome
])
def test_creation_outside_latencys_definition_is_not_latency(question):
    found = plan(question)
    assert found.kind == "refusal" or found.metric != "latency"


def test_payments_created_and_their_outcome_is_a_count_by_status():  # it was refused as latency's definition
    assert fields("how many payments created and their outcome") == {"metric": "count", "group_by": ["status"]}


def test_created_to_decision_without_from_is_not_latency():  # it was latency: not one of the definition's shapes
    found = plan("show payments created to decision")
    assert found.kind == "refusal" or found.metric != "latency"


@pytest.mark.parametrize("question", [
    "how many payments from creation to final outcome last week", "volume from creation to final outcome this week",
])
def test_latencys_definition_with_another_figure_is_refused(question):
    assert plan(question).kind == "refusal"


# 3. a glossary status name before "status"


@pytest.mark.parametrize(("question", "statuses"), [
    ("How many payments are in the partially_refunded status?", ["partially_refunded"]),
    ("how many payments are in the partially refunded status", ["partially_refunded"]),
    ("count of payments with the failed status this week", ["failed"]),
    ("payments in the pending state", ["pending"]),
    ("how many payments have a refunded status", ["refunded"]),  # exactly the status, as "status = refunded"
    ("number of payments in the declined_fraud status yesterday", ["declined_fraud"]),
    ("payments in the captured status last week", ["captured"]),
])
def test_a_status_name_before_status_is_exactly_that_status(question, statuses):
    found = fields(question)
    assert (found["metric"], found["filters"]["statuses"]) == ("count", statuses)
    assert "group_by" not in found


@pytest.mark.parametrize("question", [
    "how many payments are in the declined status",  # declined is not one status (as "status declined")
    "how many payments are in the zorbled status",
    "how many payments are in the refund status",
])
def test_a_word_that_is_no_status_name_before_status_is_refused(question):
    assert plan(question).kind == "refusal"


def test_a_status_grouping_still_groups():
    assert fields("payments by status last week")["group_by"] == ["status"]


# 4. "counts" and the merchant's time zone


@pytest.mark.parametrize("question", [
    "Per day counts in the merchant's time zone for the last 5 days",
    "daily counts in the merchant's timezone for the last 5 days", "counts per day for the last 5 days",
    "counts by day in merchant time for the last 5 days", "per day counts in the merchant's local time, last 5 days",
    "per day counts in our time zone for the last 5 days",
])
def test_counts_per_day_in_the_merchants_zone(question):
    assert fields(question) == {"metric": "count", "group_by": ["day"], "window": {"period": "last_n_days", "n": 5}}


def test_the_merchants_zone_is_the_configured_one():
    found = plan("per day counts in the merchant's time zone for the last 5 days")
    assert found.timezone == "UTC"  # the default the planner was given (CHAT_MERCHANT_TIMEZONE)
    assert plan("counts by day last 5 days", None).timezone == "UTC"


@pytest.mark.parametrize("question", [
    "counts by device last week",  # a grouping we do not have
    "counts per day in the other merchant's time zone",  # another merchant
    "counts", "what counts",  # counts of what?
])
def test_counts_that_name_nothing_we_hold_are_refused(question):
    assert plan(question).kind == "refusal"


# 5. a lone "how many" with nothing to follow


@pytest.mark.parametrize("question", [
    "ok so how many exactly", "so how many", "and how many?", "okay how many exactly?", "ok so how many roughly",
    "but how many", "how many exactly",
])
def test_a_lone_how_many_is_refused_whatever_surrounds_it(question):
    found = plan(question)
    assert found.kind == "refusal" and "how many of what" in found.reason


@pytest.mark.parametrize(("question", "expected"), [
    ("how many payments exactly", {"metric": "count"}),
    ("ok so how many payments yesterday", {"metric": "count", "window": {"period": "yesterday"}}),
    ("so how many declines exactly", {"metric": "count", "filters": {"statuses": ["failed", "declined_fraud"]}}),
])
def test_how_many_of_something_is_still_answered(question, expected):
    assert fields(question) == expected


@pytest.mark.parametrize("question", ["ok so how many exactly", "and how many?", "so how many"])
def test_a_follow_up_how_many_after_a_question_is_its_count(question):
    found = fields(question, plan("volume on stripe yesterday"))
    assert (found["metric"], found["filters"], found["window"]) == (
        "count", {"gateways": ["stripe"]}, {"period": "yesterday"})


def test_a_bare_how_many_after_a_question_is_still_refused():  # unchanged: only a follow-up word makes it one
    assert plan("how many?", plan("volume on stripe yesterday")).kind == "refusal"


# 6. the gateway tried first, the words in either order


@pytest.mark.parametrize("question", [
    "Approval rate by the gateway tried first last week", "approval rate by gateway attempted first last week",
    "volume by the provider that was tried first yesterday", "decline rate per processor used initially this month",
    "how many payments by the gateway we tried first", "approval rate by the first-tried gateway last week",
    "count by the gateway the payment was sent to first last week", "approval rate by the initially tried gateway",
])
def test_the_gateway_tried_first_is_refused_with_its_reason(question):
    found = plan(question)
    assert found.kind == "refusal" and FIRST_GATEWAY_REASON in found.reason


@pytest.mark.parametrize(("question", "group_by"), [
    ("approval rate by final gateway last week", ["gateway"]), ("approval rate by gateway last week", ["gateway"]),
])
def test_the_final_gateway_is_still_answered(question, group_by):
    assert fields(question)["group_by"] == group_by


def test_falling_back_is_still_read_with_first_in_it():
    found = fields("how many payments ended on a different gateway than the first one tried last week")
    assert found["filters"] == {"fell_back": True}
