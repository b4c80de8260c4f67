"""The use cases over the fake unit of work: exactly-once per event and per payment, proportional
clawback whatever the order and repetition of refund events, concurrent writers, the statement."""

import random
from fractions import Fraction
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpay_rewards.adapters.memory import FakeUnitOfWork, MemoryStore
from smartpay_rewards.domain.errors import AccountNotFound
from smartpay_rewards.domain.model import Account, Capture, Refund
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.service_layer import ledger
from smartpay_rewards.service_layer.placeholders import OffersNotConfigured
from smartpay_rewards.service_layer.ports import ConcurrentChange, Offer, OfferDecision, OfferPolicy

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RATES = EarnRates("1", {"m_gold": "3"})


def world():
    store = MemoryStore()
    return store, (lambda: FakeUnitOfWork(store))


def cap(amount=1000, payment="pay_00000001", event="evt_c", merchant="m_shop", customer="cus_1"):
    return Capture(merchant, customer, payment, event, "USD", amount, AT)


def ref(total, event, payment="pay_00000001", merchant="m_shop", customer="cus_1"):
    return Refund(merchant, customer, payment, event, f"re_{event}", "USD", 1, total, AT)


def test_a_redelivered_capture_writes_nothing_and_succeeds():
    store, uow = world()
    assert ledger.apply_captured(cap(), uow, RATES) is not None
    assert ledger.apply_captured(cap(), uow, RATES) is None               # same event id
    assert ledger.apply_captured(cap(event="evt_other"), uow, RATES).entries == ()  # same payment, new event id
    assert store.accounts[("m_shop", "cus_1")].balance == 10 and len(store.entries[("m_shop", "cus_1")]) == 1


def test_rates_are_per_merchant():
    store, uow = world()
    ledger.apply_captured(cap(merchant="m_gold"), uow, RATES)
    assert store.accounts[("m_gold", "cus_1")].balance == 30


@given(captured=st.integers(1, 10**7), earned_rate=st.sampled_from(["1", "2.5", "7"]),
       refunds=st.lists(st.integers(1, 10**6), min_size=1, max_size=6), seed=st.integers(0, 2**16),
       refund_first=st.booleans())
def test_any_order_and_repetition_of_refunds_claws_back_exactly_the_cumulative_share(
        captured, earned_rate, refunds, seed, refund_first):
    store, uow = world()
    rates = EarnRates(earned_rate)
    totals, total = [], 0
    for r in refunds:
        total = min(captured, total + r)
        totals.append(total)
    events = [ref(t, f"evt_r{i}") for i, t in enumerate(totals)]
    delivered = events + random.Random(seed).sample(events, k=len(events) // 2)  # some twice
    random.Random(seed + 1).shuffle(delivered)
    if not refund_first:
        ledger.apply_captured(cap(captured), uow, rates)
    for e in delivered:
        ledger.apply_refunded(e, uow)
    if refund_first:
        ledger.apply_captured(cap(captured), uow, rates)
    earned = int(captured * Fraction(earned_rate) / 100)
    account = store.accounts.get(("m_shop", "cus_1"), Account("m_shop", "cus_1"))  # 0 points: no entry at all
    assert account.earned == earned
    assert account.clawed == min(earned, earned * total // captured)
    assert account.balance == earned - account.clawed and account.debt == 0
    entries = store.entries.get(("m_shop", "cus_1"), {}).values()
    assert sum(e.points for e in entries) == account.balance
    assert sorted(e.seq for e in entries) == list(range(1, account.seq + 1))


def test_a_concurrent_writer_makes_the_use_case_read_again():
    store, uow = world()
    ledger.apply_captured(cap(), uow, RATES)
    racing = {"left": 1}

    class RacingUow(FakeUnitOfWork):
        def _commit(self, changes, event, records=()):
            if racing["left"]:  # another payment of the customer commits between read and write
                racing["left"] -= 1
                ledger.apply_captured(cap(500, payment="pay_00000002", event="evt_c2"), lambda: FakeUnitOfWork(store),
                                      RATES)
            super()._commit(changes, event, records)

    ledger.apply_refunded(ref(1000, "evt_r"), lambda: RacingUow(store))
    account = store.accounts[("m_shop", "cus_1")]
    assert account.earned == 15 and account.clawed == 10 and account.balance == 5 and account.seq == 3


def test_a_writer_that_always_wins_ends_in_concurrent_change_for_the_queue_to_retry():
    store, uow = world()
    ledger.apply_captured(cap(), uow, RATES)

    class AlwaysLate(FakeUnitOfWork):
        def account(self, merchant_id, customer_id):
            found = super().account(merchant_id, customer_id)
            return found.__class__(**{**found.__dict__, "seq": found.seq - 1})

    with pytest.raises(ConcurrentChange):
        ledger.apply_refunded(ref(500, "evt_r"), lambda: AlwaysLate(store))
    assert store.accounts[("m_shop", "cus_1")].clawed == 0


class FixedPolicy(OfferPolicy):
    def __init__(self):
        self.asked = []

    def choose(self, context):
        self.asked.append(context)
        return OfferDecision(Offer("3x_grocery", "3x points at grocery merchants this week", "3"), 0.8, "v1")


def test_statement_pages_newest_first_and_scopes_to_the_merchant():
    store, uow = world()
    for i in range(5):
        ledger.apply_captured(cap(100 * (i + 1), payment=f"pay_0000000{i}", event=f"evt_{i}"), uow, RATES)
    ledger.set_merchant_category("m_shop", "grocery", uow, AT)
    page = ledger.statement("m_shop", "cus_1", uow, FixedPolicy(), limit=2, before_seq=None, now=AT)
    assert [e.seq for e in page.entries] == [5, 4] and page.next_before == 4 and page.account.balance == 15
    assert page.offers.offer.offer_id == "3x_grocery" and page.offers.propensity == 0.8
    rest = ledger.statement("m_shop", "cus_1", uow, FixedPolicy(), limit=10, before_seq=page.next_before, now=AT)
    assert [e.seq for e in rest.entries] == [3, 2, 1] and rest.next_before is None
    with pytest.raises(AccountNotFound):
        ledger.statement("m_other", "cus_1", uow, FixedPolicy(), limit=10, before_seq=None, now=AT)


def test_the_offer_placeholder_is_loud():
    store, uow = world()
    ledger.apply_captured(cap(), uow, RATES)
    page = ledger.statement("m_shop", "cus_1", uow, OffersNotConfigured(), limit=10, before_seq=None, now=AT)
    assert page.offers.configured is False and page.offers.offer is None


def test_a_merchant_without_a_category_is_shown_no_offer_and_the_policy_is_not_asked():
    store, uow = world()
    ledger.apply_captured(cap(), uow, RATES)
    policy = FixedPolicy()
    page = ledger.statement("m_shop", "cus_1", uow, policy, limit=10, before_seq=None, now=AT)
    assert page.offers.configured is False and page.offers.offer is None and policy.asked == []
    assert page.offers.detail == ledger.NO_MERCHANT_CATEGORY
    ledger.set_merchant_category("m_shop", "fuel", uow, AT)
    page = ledger.statement("m_shop", "cus_1", uow, policy, limit=10, before_seq=None, now=AT)
    assert page.offers.configured and [c.category for c in policy.asked] == ["fuel"]
