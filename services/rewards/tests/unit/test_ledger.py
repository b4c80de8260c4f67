"""The ledger rules (pure): earn, proportional clawback, debt, repayment, redemption, markers."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from smartpay_rewards.domain import ledger
from smartpay_rewards.domain.errors import InsufficientPoints, InvalidRewardEvent
from smartpay_rewards.domain.model import Account, Capture, EntryKind, Refund

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
M, C = "m_shop", "cus_1"


def capture(amount=10_000, payment="pay_00000001", event="evt_c1", customer=C, currency="USD"):
    return Capture(M, customer, payment, event, currency, amount, AT)


def refund(total, amount=None, payment="pay_00000001", event=None, customer=C, currency="USD"):
    return Refund(M, customer, payment, event or f"evt_r{total}", f"re_{total}", currency, amount or total, total, AT)


def kinds(change):
    return [(e.kind.value, e.points, e.debt_change) for e in change.entries]


def test_capture_earns_floor_of_major_amount_times_rate_once_per_payment():
    change = ledger.apply_capture(Account(M, C), None, capture(10_050), Decimal("2"))
    assert kinds(change) == [("earn", 201, 0)]
    assert change.account.balance == 201 and change.account.seq == 1 and change.payment.points_earned == 201
    again = ledger.apply_capture(change.account, change.payment, capture(10_050, event="evt_c2"), Decimal("2"))
    assert again.entries == () and again.account == change.account


def test_partial_refunds_claw_back_cumulatively():
    earn = ledger.apply_capture(Account(M, C), None, capture(1000), Decimal("1"))  # 10 points
    first = ledger.apply_refund(earn.account, earn.payment, refund(333))
    assert kinds(first) == [("clawback", -3, 0)]                      # floor(10 * 333/1000)
    second = ledger.apply_refund(first.account, first.payment, refund(666))
    assert kinds(second) == [("clawback", -3, 0)]                     # floor(10 * 666/1000) - 3
    third = ledger.apply_refund(second.account, second.payment, refund(1000))
    assert kinds(third) == [("clawback", -4, 0)] and third.account.balance == 0 and third.payment.points_clawed == 10


def test_an_older_refund_total_arriving_late_takes_nothing():
    earn = ledger.apply_capture(Account(M, C), None, capture(1000), Decimal("1"))
    later = ledger.apply_refund(earn.account, earn.payment, refund(600))
    late = ledger.apply_refund(later.account, later.payment, refund(300))
    assert kinds(later) == [("clawback", -6, 0)] and late.entries == () and late.payment.refunded_total == 600


def test_a_refund_before_its_capture_is_clawed_when_the_capture_arrives():
    first = ledger.apply_refund(Account(M, C), None, refund(500))
    assert first.entries == () and first.payment.refunded_total == 500 and not first.payment.captured
    earn = ledger.apply_capture(first.account, first.payment, capture(1000), Decimal("1"))
    assert kinds(earn) == [("earn", 10, 0), ("clawback", -5, 0)] and earn.account.balance == 5


def test_clawback_beyond_the_balance_becomes_debt_repaid_first_by_later_earnings():
    earn = ledger.apply_capture(Account(M, C), None, capture(1000), Decimal("1"))  # 10
    spent = ledger.redeem(earn.account, 8, "rdm_1", AT)
    claw = ledger.apply_refund(spent.account, earn.payment, refund(1000))
    assert kinds(claw) == [("clawback", -2, 0), ("debt", 0, 8)]
    assert claw.account.balance == 0 and claw.account.debt == 8 and claw.account.clawed == 10
    more = ledger.apply_capture(claw.account, None, capture(500, payment="pay_00000002", event="evt_c9"), Decimal("1"))
    assert kinds(more) == [("earn", 5, 0), ("debt_repayment", -5, -5)]
    assert more.account.balance == 0 and more.account.debt == 3
    last = ledger.apply_capture(more.account, None, capture(1000, payment="pay_00000003", event="evt_c10"),
                                Decimal("1"))
    assert kinds(last) == [("earn", 10, 0), ("debt_repayment", -3, -3)]
    assert last.account.balance == 7 and last.account.debt == 0
    assert all(e.balance_after >= 0 and e.debt_after >= 0 for c in (earn, spent, claw, more, last) for e in c.entries)


def test_entry_ids_are_deterministic_and_merchant_scoped_by_the_account():
    a = ledger.apply_capture(Account(M, C), None, capture(1000), Decimal("1"))
    b = ledger.apply_capture(Account(M, C), None, capture(1000), Decimal("1"))
    assert [e.entry_id for e in a.entries] == [e.entry_id for e in b.entries] == ["earn:pay_00000001:evt_c1"]
    assert {(e.merchant_id, e.customer_id) for e in a.entries} == {(M, C)}


def test_events_that_disagree_with_the_payment_are_refused():
    earn = ledger.apply_capture(Account(M, C), None, capture(1000), Decimal("1"))
    with pytest.raises(InvalidRewardEvent, match="another customer"):
        ledger.apply_refund(earn.account, earn.payment, refund(100, customer="cus_2"))
    with pytest.raises(InvalidRewardEvent, match="in USD"):
        ledger.apply_refund(earn.account, earn.payment, refund(100, currency="EUR"))
    with pytest.raises(InvalidRewardEvent, match="no customer_id"):
        ledger.apply_capture(Account(M, C), None, capture(1000, customer=None), Decimal("1"))


def test_redeem_never_overdraws_and_a_reversal_repays_debt_first():
    earn = ledger.apply_capture(Account(M, C), None, capture(1000), Decimal("1"))
    with pytest.raises(InsufficientPoints):
        ledger.redeem(earn.account, 11, "rdm_1", AT)
    spent = ledger.redeem(earn.account, 10, "rdm_1", AT)
    claw = ledger.apply_refund(spent.account, earn.payment, refund(500))
    assert claw.account.debt == 5
    back = ledger.reverse_redemption(claw.account, 10, "rdm_1", AT, "venue failed")
    assert kinds(back) == [("redeem_reversal", 10, 0), ("debt_repayment", -5, -5)]
    assert back.account.balance == 5 and back.account.redeemed == 0


def test_chain_markers_leave_the_balance_alone():
    earn = ledger.apply_capture(Account(M, C), None, capture(1000), Decimal("1"))
    minted = ledger.chain_marker(earn.account, EntryKind.MINTED, 10, "sig_1", AT)
    assert minted.account.balance == 10 and minted.account.minted == 10 and kinds(minted) == [("minted", 0, 0)]
    with pytest.raises(ValueError):
        ledger.chain_marker(earn.account, EntryKind.EARN, 1, "x", AT)
