"""The ledger's use cases: apply a capture or a refund exactly once, read a customer's statement.
Each runs in one unit of work; a concurrent writer makes it read again (a few times, then the
queue's redelivery takes over); a redelivered event is a no-op success."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import TypeAdapter, ValidationError

from smartpay_shared.events.payloads import MerchantId

from smartpay_rewards.domain import ledger
from smartpay_rewards.domain.errors import AccountNotFound, InvalidRewardEvent
from smartpay_rewards.domain.model import Account, Capture, Change, Entry, Refund
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.offers.catalogue import Category
from smartpay_rewards.service_layer.ports import (
    AbstractUnitOfWork,
    AlreadyApplied,
    ConcurrentChange,
    EventReads,
    OfferContext,
    OfferDecision,
    OfferPolicy,
)
from smartpay_rewards.service_layer.shown_offers import ShownOffers

UowFactory = Callable[[], AbstractUnitOfWork]
NO_MERCHANT_CATEGORY = ("offers not configured for this merchant: it has no offer category (an operator sets one: "
                        "`smartpay rewards merchant-category --merchant <id> --set <category>`)")
ATTEMPTS = 5
MERCHANT_ID = TypeAdapter(Annotated[str, MerchantId])  # the events' merchant id: its one definition


def _apply(uow_factory: UowFactory, merchant_id: str, payment_id: str, event_id: str, customer_id: str | None,
           category: bool, decide: Callable[[EventReads], Change]) -> Change | None:
    for _ in range(ATTEMPTS):
        with uow_factory() as uow:
            reads = uow.event_reads(merchant_id, payment_id, event_id, customer_id, category=category)
            if reads.applied:
                return None
            change = decide(reads)
            uow.stage(change)
            uow.mark_event(merchant_id, payment_id, event_id)
            try:
                uow.commit()
            except AlreadyApplied:
                return None
            except ConcurrentChange:
                continue
            return change
    raise ConcurrentChange(f"payment {payment_id}: the account kept changing over {ATTEMPTS} attempts")


def apply_captured(capture: Capture, uow_factory: UowFactory, rates: EarnRates,
                   offers: ShownOffers | None = None) -> Change | None:
    """None when the event was applied before. The merchant's category (set by the operator) and, when it has
    one, the offer standing for the customer at capture time (`offers`: the decision log) decide the bonus;
    None: no offer pays (callers that do not read the decision log). The marker, the payment record, the
    account and the category are read together (`event_reads`: one request on DynamoDB)."""
    def decide(reads: EventReads) -> Change:
        record, account = reads.payment, reads.account
        if account is None:
            raise InvalidRewardEvent("payment.captured names no customer_id (a schema 1.0 producer) and no refund "
                                     "of the payment named one: no customer to credit")
        category = offer = None
        if record is None or not record.captured:  # a capture applied before is not looked at again
            category = reads.category
            if category is not None and offers is not None:
                offer = offers.standing(capture.merchant_id, account.customer_id, capture.at)
        return ledger.apply_capture(account, record, capture, rates.rate_for(capture.merchant_id), category, offer)

    return _apply(uow_factory, capture.merchant_id, capture.payment_id, capture.event_id, capture.customer_id,
                  True, decide)


def set_merchant_category(merchant_id: str, category: str | None, uow_factory: UowFactory, at: datetime) -> None:
    """The operator's: the offer category of the merchant's purchases from now on (None clears it: no offer
    pays there). One of the catalogue's categories; a merchant id as the events carry it (no `#`)."""
    if category is not None and category not in {c.value for c in Category}:
        raise ValueError(f"unknown category {category!r}: one of {', '.join(c.value for c in Category)}")
    try:
        MERCHANT_ID.validate_python(merchant_id)
    except ValidationError:
        raise ValueError(f"not a merchant id: {merchant_id!r}") from None
    with uow_factory() as uow:
        uow.put_merchant_category(merchant_id, category, at)


def merchant_category(merchant_id: str, uow_factory: UowFactory) -> str | None:
    with uow_factory() as uow:
        return uow.merchant_category(merchant_id)


def apply_refunded(refund: Refund, uow_factory: UowFactory) -> Change | None:
    def decide(reads: EventReads) -> Change:
        account = reads.account or Account(refund.merchant_id, refund.customer_id)  # no customer named: as read
        return ledger.apply_refund(account, reads.payment, refund)

    return _apply(uow_factory, refund.merchant_id, refund.payment_id, refund.event_id, refund.customer_id, False,
                  decide)


@dataclass(frozen=True)
class Statement:
    account: Account
    entries: list[Entry]
    next_before: int | None
    offers: OfferDecision


def statement(merchant_id: str, customer_id: str, uow_factory: UowFactory, policy: OfferPolicy, *, limit: int,
              before_seq: int | None, now) -> Statement:
    """The merchant's customer's balance, debt, a page of history and the offer the policy picks among those
    the merchant's category allows. A merchant with no category shows no offer (`configured` False: only an
    offer of the merchant's category can pay) and the policy is not asked (nothing is logged). A customer with
    no ledger entry at this merchant (another merchant's included) is AccountNotFound."""
    with uow_factory() as uow:
        account = uow.account(merchant_id, customer_id)
        if not account.exists:
            raise AccountNotFound(customer_id)
        entries = uow.history(merchant_id, customer_id, limit=limit, before_seq=before_seq)
        category = uow.merchant_category(merchant_id)
    if category is None:
        decision = OfferDecision(offer=None, propensity=1.0, policy_version="not_configured", configured=False,
                                 detail=NO_MERCHANT_CATEGORY)
    else:
        decision = policy.choose(OfferContext(merchant_id, customer_id, account.balance, account.debt,
                                              account.earned, tuple(entries), now, category))
    more = len(entries) == limit and entries[-1].seq > 1
    return Statement(account, entries, entries[-1].seq if more else None, decision)
