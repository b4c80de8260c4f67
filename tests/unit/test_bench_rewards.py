"""bench/bench_rewards.py's pure parts: the expected points (docs/rewards.md's worked examples), the per-payment
and per-customer comparisons (what counts as lost and as doubled), the refund plans (never more than captured),
and the verdict."""

import random
import sys

import pytest

from smartpay_shared.manifest import repo_root

if str(repo_root()) not in sys.path:  # the repo's bench package is not installed in the venv
    sys.path.insert(0, str(repo_root()))

from bench import bench_rewards as b  # noqa: E402


def test_expected_points_follow_the_documented_examples():
    assert b.expected_points(1999, 0, "USD", "1.5") == (29, 0)       # floor(29.985)
    assert b.expected_points(1000, 333, "USD", "1") == (10, 3)
    assert b.expected_points(1000, 666, "USD", "1") == (10, 6)
    assert b.expected_points(1000, 1000, "USD", "1") == (10, 10)
    assert b.expected_points(2150, 700, "USD", "1") == (21, 6)
    assert b.expected_points(500, 0, "JPY", "0.01") == (5, 0)
    assert b.expected_points(99, 99, "USD", "1") == (0, 0)             # under one major unit: nothing


def test_the_expected_ledger_sums_per_customer_and_skips_uncaptured_payments():
    facts = [b.PaymentFacts("pay_1", "cus_a", "USD", "indexed", 2000, 0),
             b.PaymentFacts("pay_2", "cus_a", "USD", "partially_refunded", 1000, 500),
             b.PaymentFacts("pay_3", "cus_b", "USD", "declined", 0, 0)]
    per_payment, per_customer = b.expected_ledger(facts, "1.5")
    assert per_payment == {"pay_1": (30, 0), "pay_2": (15, 7)}
    assert per_customer == {"cus_a": {"earned": 45, "clawed": 7, "balance": 38, "debt": 0}}


def test_lost_and_doubled_points_per_payment():
    expected = {"p1": (30, 0), "p2": (15, 7), "p3": (10, 10)}
    assert b.compare_payments(expected, dict(expected))["payments_wrong"] == 0
    r = b.compare_payments(expected, {"p1": (60, 0), "p2": (15, 0), "p4": (5, 0)})
    assert r["earn_missing"] == 10 and r["earn_extra"] == 30 + 5                 # p3 never credited; p1 twice, p4
    assert r["clawback_missing"] == 7 + 10 and r["clawback_extra"] == 0
    assert r["points_lost"] == 10 and r["points_doubled"] == 35 + 17 and r["payments_wrong"] == 4
    assert b.compare_payments({"p1": (30, 5)}, {"p1": (30, 9)})["points_lost"] == 4   # clawed too much


def test_customer_statements_are_compared_on_every_total():
    e = {"cus_a": {"earned": 45, "clawed": 7, "balance": 38, "debt": 0}}
    assert b.compare_customers(e, {"cus_a": dict(e["cus_a"])})["customers_wrong"] == 0
    r = b.compare_customers(e, {})
    assert r["customers_wrong"] == 1 and r["balance_short"] == 38
    r = b.compare_customers(e, {"cus_a": {**e["cus_a"], "debt": 3}})
    assert r["customers_wrong"] == 1 and r["balance_short"] == r["balance_over"] == 0


@pytest.mark.parametrize("seed", range(50))
def test_refund_plans_never_ask_more_than_captured(seed):
    rng = random.Random(seed)
    for captured in (4, 5, 100, 1500, 9000):
        plan = b.refund_plan(rng, captured)
        parts = [a for a in plan if a is not None]
        assert all(a >= 1 for a in parts) and sum(parts) < captured
        assert None not in plan[:-1]                                          # "the rest" only last


def test_the_verdict_needs_every_figure_clean(monkeypatch):
    # The chain's own verdict is tested in tests/unit/test_bench_rewards_chain.py.
    monkeypatch.setattr(b.rc, "chain_met", lambda c: c == {"agrees": True})
    monkeypatch.setattr(b.rc, "chain_validity", lambda c: [])
    clean = {"chain": {"agrees": True}, "converged": True, "per_payment": {"points_lost": 0, "points_doubled": 0},
             "payments": {"asked": 10, "captured": 9, "by_status": {}}, "refunds": {"calls_by_status": {"200": 3}},
             "stack_processes_not_running_at_the_end": [],
             "per_customer_api": {"customers_wrong": 0},
             "ledger_integrity": {"accounts_whose_entries_disagree": 0, "payments_with_more_than_one_earn_entry": 0},
             "dlq": {"rewards": []}}
    assert b.met(clean)
    for path, value in ((("converged",), False), (("per_payment", "points_doubled"), 1),
                        (("per_customer_api", "customers_wrong"), 2), (("dlq", "rewards"), [{"queue": "rewards"}]),
                        (("ledger_integrity", "payments_with_more_than_one_earn_entry"), 1),
                        (("payments", "captured"), 7), (("refunds", "calls_by_status"), {"422": 3}),
                        (("stack_processes_not_running_at_the_end",), ["redis"])):
        broken = {k: (dict(v) if isinstance(v, dict) else v) for k, v in clean.items()}
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert not b.met(broken)


def test_the_target_needs_the_ledger_and_the_chain(monkeypatch):
    ledger_clean = {"converged": True, "per_payment": {"points_lost": 0, "points_doubled": 0},
                    "payments": {"asked": 10, "captured": 9, "by_status": {}},
                    "refunds": {"calls_by_status": {"200": 3}}, "stack_processes_not_running_at_the_end": [],
                    "per_customer_api": {"customers_wrong": 0},
                    "ledger_integrity": {"accounts_whose_entries_disagree": 0,
                                         "payments_with_more_than_one_earn_entry": 0},
                    "dlq": {"rewards": []}, "chain": {"in_scope": True, "error": "RuntimeError: the RPC was down"}}
    assert b.ledger_met(ledger_clean) and not b.met(ledger_clean)           # the chain could not be measured
    assert b.validity(ledger_clean) == ["the chain measurement failed: RuntimeError: the RPC was down"]
    monkeypatch.setattr(b.rc, "chain_met", lambda c: True)
    assert b.met(ledger_clean)
    assert not b.met({**ledger_clean, "per_payment": {"points_lost": 1, "points_doubled": 0}})
