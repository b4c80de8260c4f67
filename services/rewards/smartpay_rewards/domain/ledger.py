"""The points ledger's rules (pure): earn on capture, proportional and cumulative clawback on refunds, debt
instead of a negative balance, credit repaying debt first, redemption and its reversal, chain markers.
Every function takes the state as stored and returns a Change; it never reads a clock or a store."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from smartpay_rewards.domain.errors import InsufficientPoints, InvalidRewardEvent
from smartpay_rewards.domain.model import (Account, Capture, Change, Entry, EntryKind, OfferTerms, PaymentRecord,
                                           Refund)
from smartpay_rewards.domain.points import clawback_target, points_for


class _Lines:
    """Appends entries to an account, keeping balance, debt and the running number consistent."""

    def __init__(self, account: Account, at: datetime, payment_id: str | None, event_id: str | None):
        self.account, self.at, self.payment_id, self.event_id = account, at, payment_id, event_id
        self.entries: list[Entry] = []

    def add(self, kind: EntryKind, points: int, debt_change: int = 0, *, entry_id: str, reference: str | None = None,
            detail: str = "", amount: int | None = None, currency: str | None = None, **totals: int) -> None:
        a = self.account
        balance, debt = a.balance + points, a.debt + debt_change
        if balance < 0 or debt < 0:
            raise AssertionError(f"{kind} would leave balance {balance}, debt {debt}")  # a rule bug, never input
        self.account = replace(a, balance=balance, debt=debt, seq=a.seq + 1, updated_at=self.at,
                               **{k: getattr(a, k) + v for k, v in totals.items()})
        self.entries.append(Entry(a.merchant_id, a.customer_id, entry_id, a.seq + 1, kind, points, debt_change,
                                  balance, debt, self.at, self.payment_id, self.event_id, reference, detail,
                                  amount, currency))

    def credit(self, kind: EntryKind, points: int, *, entry_id: str, **kw) -> None:
        """Points in: the debt is repaid first, from this credit."""
        if points <= 0:
            return
        self.add(kind, points, entry_id=entry_id, **kw)
        repaid = min(points, self.account.debt)
        if repaid:
            self.add(EntryKind.DEBT_REPAYMENT, -repaid, -repaid, entry_id=f"{EntryKind.DEBT_REPAYMENT}:{entry_id}",
                     detail=f"{repaid} of {kind} points repay debt")

    def claw(self, points: int, *, entry_id: str, reference: str | None, detail: str) -> None:
        """Points out for a refund: from the balance as far as it goes, the rest as debt."""
        if points <= 0:
            return
        taken = min(points, self.account.balance)
        if taken:
            self.add(EntryKind.CLAWBACK, -taken, entry_id=f"{EntryKind.CLAWBACK}:{entry_id}", reference=reference,
                     detail=detail, clawed=taken)
        if points - taken:
            self.add(EntryKind.DEBT, 0, points - taken, entry_id=f"{EntryKind.DEBT}:{entry_id}", reference=reference,
                     detail=f"{points - taken} points owed: the balance could not cover the clawback",
                     clawed=points - taken)


def _check_same_payment(record: PaymentRecord, customer_id: str | None, currency: str) -> None:
    if customer_id is not None and customer_id != record.customer_id:
        raise InvalidRewardEvent(f"payment {record.payment_id} belongs to another customer than this event says")
    if currency != record.currency:
        raise InvalidRewardEvent(f"payment {record.payment_id} is in {record.currency}, this event in {currency}")


def _claw_to_target(lines: _Lines, record: PaymentRecord, *, entry_id: str, reference: str | None) -> PaymentRecord:
    target = clawback_target(record.points_earned, record.refunded_total, record.captured_amount or 0)
    due = target - record.points_clawed
    lines.claw(due, entry_id=entry_id, reference=reference,
               detail=f"{record.refunded_total} of {record.captured_amount} {record.currency} minor units refunded")
    return replace(record, points_clawed=record.points_clawed + max(0, due))


def apply_capture(account: Account, record: PaymentRecord | None, capture: Capture, rate: Decimal,
                  category: str | None = None, offer: OfferTerms | None = None) -> Change:
    """Earn floor(amount x rate) once per payment; a second capture event of the payment changes nothing.
    `category` is the merchant's at capture time, `offer` the one standing for the customer then: when the
    payment falls inside it (its category, its span), the payment earns floor(amount x rate x multiplier) in
    all, the part above the base earn as an OFFER_BONUS entry. A refund seen before the capture is clawed back
    at once, proportionally to all it earned."""
    if record is None:
        if capture.customer_id is None:
            raise InvalidRewardEvent("payment.captured names no customer_id (a schema 1.0 producer) and no refund "
                                     "of the payment named one: no customer to credit")
        record = PaymentRecord(capture.merchant_id, capture.payment_id, capture.customer_id, capture.currency)
    _check_same_payment(record, capture.customer_id, capture.currency)
    if account.customer_id != record.customer_id or account.merchant_id != capture.merchant_id:
        raise ValueError("account and payment disagree")  # the caller's wiring, not the event
    if record.captured:
        return Change(account, account, record, record, ())
    lines = _Lines(account, capture.at, capture.payment_id, capture.event_id)
    points = points_for(capture.amount, capture.currency, rate)
    paying = offer if offer is not None and offer.pays_on(category, capture.at) else None
    bonus = points_for(capture.amount, capture.currency, rate * paying.multiplier) - points if paying else 0
    earned = replace(record, captured_amount=capture.amount, earn_rate=str(rate), points_earned=points + bonus,
                     category=category, bonus_points=bonus, offer_id=paying and paying.offer_id,
                     decision_id=paying and paying.decision_id)
    key = f"{capture.payment_id}:{capture.event_id}"
    lines.credit(EntryKind.EARN, points, entry_id=f"{EntryKind.EARN}:{key}",
                 detail=f"{capture.amount} {capture.currency} minor units at {rate} points per major unit",
                 amount=capture.amount, currency=capture.currency, earned=points)
    if paying:
        lines.credit(EntryKind.OFFER_BONUS, bonus, entry_id=f"{EntryKind.OFFER_BONUS}:{key}",
                     reference=paying.decision_id, earned=bonus,
                     detail=f"offer {paying.offer_id}: {paying.multiplier}x points at {category} merchants")
    after = _claw_to_target(lines, earned, entry_id=key, reference=None)
    return Change(account, lines.account, record, after, tuple(lines.entries))


def apply_refund(account: Account, record: PaymentRecord | None, refund: Refund) -> Change:
    """Claw back so that the payment's total clawback is floor(points_earned x total_refunded / captured):
    each refund takes only what that total adds; an older (smaller) total arriving late takes nothing."""
    if record is None:  # the refund overtook the capture: remember it, the capture claws back
        record = PaymentRecord(refund.merchant_id, refund.payment_id, refund.customer_id, refund.currency)
    _check_same_payment(record, refund.customer_id, refund.currency)
    if account.customer_id != record.customer_id or account.merchant_id != refund.merchant_id:
        raise ValueError("account and payment disagree")
    if refund.total_refunded <= record.refunded_total:
        return Change(account, account, record, record, ())
    updated = replace(record, refunded_total=refund.total_refunded)
    if not record.captured:
        return Change(account, account, record, updated, ())
    lines = _Lines(account, refund.at, refund.payment_id, refund.event_id)
    after = _claw_to_target(lines, updated, entry_id=f"{refund.payment_id}:{refund.event_id}",
                            reference=refund.refund_id)
    return Change(account, lines.account, record, after, tuple(lines.entries))


def redeem(account: Account, points: int, redemption_id: str, at: datetime, detail: str = "") -> Change:
    """Spend points (a redemption): never more than the balance."""
    if points <= 0:
        raise ValueError("a redemption spends at least 1 point")
    if points > account.balance:
        raise InsufficientPoints(points, account.balance)
    lines = _Lines(account, at, None, None)
    lines.add(EntryKind.REDEEM, -points, entry_id=f"{EntryKind.REDEEM}:{redemption_id}", reference=redemption_id,
              detail=detail, redeemed=points)
    return Change(account, lines.account, None, None, tuple(lines.entries))


def reverse_redemption(account: Account, points: int, redemption_id: str, at: datetime, detail: str = "") -> Change:
    """Give a failed redemption's points back (debt accrued meanwhile is repaid first)."""
    if points <= 0:
        raise ValueError("a reversal gives back at least 1 point")
    lines = _Lines(account, at, None, None)
    lines.credit(EntryKind.REDEEM_REVERSAL, points, entry_id=f"{EntryKind.REDEEM_REVERSAL}:{redemption_id}",
                 reference=redemption_id, detail=detail, redeemed=-points)
    return Change(account, lines.account, None, None, tuple(lines.entries))


def chain_marker(account: Account, kind: EntryKind, points: int, reference: str, at: datetime,
                 detail: str = "") -> Change:
    """Record that `points` of the balance went on chain (MINTED) or came off it (BURNED): the ledger
    balance is unchanged (it stays the source of truth); `minted` tracks what the chain should hold."""
    if kind not in (EntryKind.MINTED, EntryKind.BURNED) or points <= 0:
        raise ValueError("a chain marker is MINTED or BURNED of at least 1 point")
    lines = _Lines(account, at, None, None)
    lines.add(kind, 0, entry_id=f"{kind}:{reference}", reference=reference, detail=detail,
              minted=points if kind == EntryKind.MINTED else -points)
    return Change(account, lines.account, None, None, tuple(lines.entries))
