"""Pure accounting: what to mint, refund offsets and burns, and the reconciliation comparison."""

import pytest

from smartpay_rewards.chain.accounting import Position, clawback, plan_mints
from smartpay_rewards.chain.ports import ChainReading, MintOrder
from smartpay_rewards.chain.reconcile import compare


def test_plan_mints_mints_what_is_owed_and_carries_offsets():
    plan = plan_mints([Position("m1", "c2", "w2", entitled=50, minted=80),
                       Position("m1", "c1", "w1", entitled=120, minted=100),
                       Position("m1", "c3", "w3", entitled=10, minted=10)])
    assert plan.orders == (MintOrder("m1", "c1", "w1", 20),)
    assert [(o.customer_id, o.debt) for o in plan.offsets] == [("c2", 30)]


def test_offset_refund_nets_future_mints():
    before = Position("m1", "c1", "w1", entitled=100, minted=100)
    claw = clawback(before, 30, wallet_balance=100, mode="offset")
    assert (claw.burn, claw.offset, claw.entitled) == (0, 30, 70)
    # 50 points earned later: 30 pay the debt, 20 are minted.
    later = Position("m1", "c1", "w1", entitled=claw.entitled + 50, minted=100)
    assert plan_mints([later]).orders == (MintOrder("m1", "c1", "w1", 20),)


def test_clawback_of_points_not_yet_minted_needs_no_offset():
    claw = clawback(Position("m1", "c1", "w1", entitled=100, minted=40), 30, wallet_balance=40, mode="offset")
    assert (claw.burn, claw.offset, claw.entitled) == (0, 0, 70)


def test_burn_mode_burns_what_the_wallet_holds_and_offsets_the_rest():
    claw = clawback(Position("m1", "c1", "w1", entitled=100, minted=100, redeemed=90), 30, wallet_balance=10,
                    mode="permanent_delegate_burn")
    assert (claw.burn, claw.offset) == (10, 20)


def test_negative_clawback_refused():
    with pytest.raises(ValueError):
        clawback(Position("m1", "c1", "w1", 1, 1), -1, 1, "offset")


def test_compare_reports_per_wallet_and_supply():
    report = compare({"w1": 10, "w2": 5, "w3": 0}, ChainReading({"w1": 10, "w2": 3, "w3": 2, "pool": 7}, 22),
                     expected_supply=15, ignore=frozenset())
    assert not report.ok and not report.supply_agrees
    assert [(m.wallet, m.kind, m.difference) for m in report.mismatches] == [("w2", "short", -2), ("w3", "excess", 2)]
    assert report.unknown_wallets == ("pool",)
    clean = compare({"w1": 10}, ChainReading({"w1": 10}, 10), expected_supply=10)
    assert clean.ok
