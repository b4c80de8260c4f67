"""Offers are promises the ledger keeps: a capture at a merchant of the offer's category, inside the offer that
stood for the customer, earns the multiplier (the part above the base earn as an offer_bonus entry), once; a
refund claws back in proportion to all the payment earned. The rules (pure) and the use case over the fake
unit of work and the in-memory decision log, with the merchant's category as the operator sets it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from smartpay_rewards.adapters.decision_log import MemoryDecisionLog
from smartpay_rewards.adapters.memory import FakeUnitOfWork, MemoryStore
from smartpay_rewards.domain import ledger as rules
from smartpay_rewards.domain.model import Account, Capture, OfferTerms, Refund
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.offers.catalogue import default_catalogue
from smartpay_rewards.service_layer import ledger
from smartpay_rewards.service_layer.decision_log import DecisionRecord
from smartpay_rewards.service_layer.shown_offers import ShownOffers

T = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
M, C = "m_shop", "cus_1"
GROCERY_3X = OfferTerms("3x-grocery-7d", "ofd_1", "grocery", 3, T, T + timedelta(days=7))
CATALOGUE = default_catalogue()


def capture(amount=1999, at=T + timedelta(days=1), payment="pay_00000001", event="evt_c1", merchant=M):
    return Capture(merchant, C, payment, event, "USD", amount, at)


def kinds(change):
    return [(e.kind.value, e.points, e.debt_change) for e in change.entries]


def test_inside_the_offer_at_its_category_the_capture_earns_the_multiplier():
    change = rules.apply_capture(Account(M, C), None, capture(), Decimal("1.5"), "grocery", GROCERY_3X)
    # 19.99 x 1.5 = 29.985 -> 29 base; x 3 = 89.955 -> 89 in all: the bonus is 60 (not 2 x 29 = 58 floored twice)
    assert kinds(change) == [("earn", 29, 0), ("offer_bonus", 60, 0)]
    bonus = change.entries[1]
    assert bonus.entry_id == "offer_bonus:pay_00000001:evt_c1" and bonus.reference == "ofd_1"
    assert "3x-grocery-7d" in bonus.detail
    p = change.payment
    assert (p.points_earned, p.bonus_points, p.offer_id, p.decision_id, p.category) == (89, 60, "3x-grocery-7d",
                                                                                         "ofd_1", "grocery")
    assert change.account.balance == change.account.earned == 89


@pytest.mark.parametrize("category, at", [
    ("dining", T + timedelta(days=1)),                  # another category
    (None, T + timedelta(days=1)),                      # the merchant has no category
    ("grocery", T - timedelta(seconds=1)),              # before the offer
    ("grocery", T + timedelta(days=7)),                 # the span is half-open
])
def test_outside_the_offer_the_capture_earns_the_base_rate(category, at):
    change = rules.apply_capture(Account(M, C), None, capture(at=at), Decimal("1.5"), category, GROCERY_3X)
    assert kinds(change) == [("earn", 29, 0)]
    assert (change.payment.bonus_points, change.payment.offer_id, change.payment.category) == (0, None, category)


def test_refunds_claw_back_in_proportion_to_everything_earned_bonus_included():
    earn = rules.apply_capture(Account(M, C), None, capture(1000), Decimal("1"), "grocery", GROCERY_3X)  # 10 + 20
    third = rules.apply_refund(earn.account, earn.payment, Refund(M, C, "pay_00000001", "evt_r1", "re_1", "USD",
                                                                  333, 333, T + timedelta(days=2)))
    assert kinds(third) == [("clawback", -9, 0)]                   # floor(30 x 333 / 1000)
    rest = rules.apply_refund(third.account, third.payment, Refund(M, C, "pay_00000001", "evt_r2", "re_2", "USD",
                                                                   667, 1000, T + timedelta(days=3)))
    assert kinds(rest) == [("clawback", -21, 0)] and rest.account.balance == 0
    # a second capture event of the payment (another event id) pays nothing again
    again = rules.apply_capture(rest.account, rest.payment, capture(1000, event="evt_c2"), Decimal("1"), "grocery",
                                GROCERY_3X)
    assert again.entries == ()


def test_a_refund_that_overtook_the_capture_claws_back_base_and_bonus_at_once():
    early = rules.apply_refund(Account(M, C), None, Refund(M, C, "pay_00000001", "evt_r1", "re_1", "USD", 500, 500,
                                                           T + timedelta(days=1)))
    change = rules.apply_capture(early.account, early.payment, capture(1000), Decimal("1"), "grocery", GROCERY_3X)
    assert kinds(change) == [("earn", 10, 0), ("offer_bonus", 20, 0), ("clawback", -15, 0)]


# --- the use case: the category the operator set, the decision that stood -----------------------------------

def world():
    store, log = MemoryStore(), MemoryDecisionLog()
    return store, log, (lambda: FakeUnitOfWork(store)), ShownOffers(log, CATALOGUE)


def decided(log, action, at, decision="ofd_1", merchant=M, customer=C):
    k = len(CATALOGUE)
    log.append(DecisionRecord(merchant, customer, decision, at, "uniform-v1", action, 1 / k, CATALOGUE.ids,
                              (1 / k,) * k, {}))


def points(store, merchant=M):
    return store.accounts[(merchant, C)].balance


def test_the_standing_offer_pays_at_a_merchant_of_its_category_once():
    store, log, uow, offers = world()
    decided(log, "2x-grocery-14d", T)
    ledger.set_merchant_category(M, "grocery", uow, T)
    assert ledger.apply_captured(capture(1000, at=T + timedelta(days=13)), uow, EarnRates("1"), offers) is not None
    assert points(store) == 20
    assert ledger.apply_captured(capture(1000, at=T + timedelta(days=13), event="evt_c2"), uow, EarnRates("1"),
                                 offers).entries == ()
    assert points(store) == 20 and store.payments[(M, "pay_00000001")].decision_id == "ofd_1"


def test_no_bonus_without_a_category_without_the_log_or_when_the_standing_decision_is_another():
    store, log, uow, offers = world()
    decided(log, "3x-grocery-7d", T)
    ledger.apply_captured(capture(1000, payment="pay_00000001"), uow, EarnRates("1"), offers)  # no category yet
    ledger.set_merchant_category(M, "grocery", uow, T)
    ledger.apply_captured(capture(1000, payment="pay_00000002"), uow, EarnRates("1"))        # no decision log
    decided(log, "none", T + timedelta(days=2), decision="ofd_2")                             # a newer decision
    ledger.apply_captured(capture(1000, at=T + timedelta(days=3), payment="pay_00000003"), uow, EarnRates("1"), offers)
    decided(log, "3x-grocery-7d", T + timedelta(days=4), decision="ofd_3")                   # decided after the capture
    ledger.apply_captured(capture(1000, at=T + timedelta(days=3, hours=1), payment="pay_00000004"), uow,
                          EarnRates("1"), offers)
    decided(log, "3x-grocery-7d", T, decision="ofd_x", merchant="m_other")                   # another merchant's
    ledger.set_merchant_category("m_other", "grocery", uow, T)
    assert points(store) == 40
    # the decision made at the capture's own time stands for it; with the category cleared nothing pays
    ledger.apply_captured(capture(1000, at=T + timedelta(days=4), payment="pay_00000005"), uow, EarnRates("1"), offers)
    assert points(store) == 40 + 30
    ledger.set_merchant_category(M, None, uow, T)
    ledger.apply_captured(capture(1000, at=T + timedelta(days=5), payment="pay_00000006"), uow, EarnRates("1"), offers)
    assert points(store) == 40 + 30 + 10


def test_the_operator_sets_only_a_catalogue_category_for_a_well_formed_merchant():
    store, log, uow, offers = world()
    with pytest.raises(ValueError, match="unknown category"):
        ledger.set_merchant_category(M, "groceries", uow, T)
    for bad in ("m_a#customer", "", "m" * 65, "m a"):  # the events' MerchantId refuses them too
        with pytest.raises(ValueError, match="merchant id"):
            ledger.set_merchant_category(bad, "grocery", uow, T)
    ledger.set_merchant_category("m" * 64, "grocery", uow, T)
    assert ledger.merchant_category(M, uow) is None
    ledger.set_merchant_category(M, "fuel", uow, T)
    assert ledger.merchant_category(M, uow) == "fuel" and ledger.merchant_category("m_other", uow) is None
