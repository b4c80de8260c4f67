"""The OfferPolicy port over the offers bandit: uniform without a checkpoint, a trained checkpoint's choice with
its propensity, the actions restricted to the merchant's category (and the propensities over them), nothing
shown or logged at a merchant without a category, every decision logged once, a decision standing while active, fatigue read from the log,
purchases read from real ledger entries (net of refunds), merchant scoping, and the API's offers view."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from smartpay_rewards.adapters.decision_log import MemoryDecisionLog
from smartpay_rewards.adapters.memory import FakeUnitOfWork, MemoryStore
from smartpay_rewards.adapters.offer_policy import (NO_OFFER_HOLD, UNIFORM_VERSION, BanditOfferPolicy,
                                                    checkpoint_version, purchases_from)
from smartpay_rewards.domain import ledger as rules
from smartpay_rewards.domain.model import Account, Capture, Refund
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.entrypoints.views import statement_view
from smartpay_rewards.offers.catalogue import default_catalogue
from smartpay_rewards.offers.features import customer_features
from smartpay_rewards.offers.history import CustomerHistory
from smartpay_rewards.offers.policy import Exploration, LoggedOutcome, VowpalOfferPolicy
from smartpay_rewards.service_layer import ledger
from smartpay_rewards.service_layer.decision_log import DecisionRecord
from smartpay_rewards.service_layer.ports import OfferContext

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CATALOGUE = default_catalogue()
K = len(CATALOGUE)
GROCERY = CATALOGUE.for_category("grocery")  # "none" and the 4 grocery offers
KG = len(GROCERY)


def context(customer="cus_1", merchant="m_shop", now=NOW, entries=(), category="grocery"):
    return OfferContext(merchant, customer, 0, 0, 0, tuple(entries), now, category)


def earned_entries(amount=2000, refunded=None, rate="1.5"):
    """Real ledger entries: a capture of `amount` USD minor units, then a refund of `refunded` if given."""
    account = Account("m_shop", "cus_1")
    change = rules.apply_capture(account, None, Capture("m_shop", "cus_1", "pay_1", "evt_c", "USD", amount,
                                                        NOW - timedelta(days=2)), Decimal(rate))
    entries = list(change.entries)
    if refunded is not None:
        after = rules.apply_refund(change.account, change.payment, Refund(
            "m_shop", "cus_1", "pay_1", "evt_r", "re_1", "USD", refunded, refunded, NOW - timedelta(days=1)))
        entries += after.entries
    return entries


def test_without_a_checkpoint_the_policy_is_uniform_and_logs_every_decision():
    log = MemoryDecisionLog()
    policy = BanditOfferPolicy.from_checkpoint(log, None, seed=1)
    decision = policy.choose(context())
    assert decision.configured and decision.policy_version == UNIFORM_VERSION
    assert KG == 5 and decision.propensity == pytest.approx(1 / KG)
    [record] = log.all()
    assert (record.merchant_id, record.customer_id, record.at) == ("m_shop", "cus_1", NOW)
    assert record.actions == GROCERY.ids and record.probabilities == pytest.approx([1 / KG] * KG)
    assert record.propensity == decision.propensity
    assert (decision.offer is None) == (record.action == "none")
    if decision.offer is not None:
        assert decision.offer.offer_id == record.action


def test_uniform_choices_cover_the_merchants_actions_only_and_map_to_the_ports_offer():
    log = MemoryDecisionLog()
    policy = BanditOfferPolicy.from_checkpoint(log, None, seed=7)
    decisions = [policy.choose(context(customer=f"cus_{i}")) for i in range(500)]
    counts = Counter(r.action for r in log.all())
    assert set(counts) == set(GROCERY.ids) == {"none", "2x-grocery-7d", "2x-grocery-14d", "3x-grocery-7d",
                                               "3x-grocery-14d"}
    assert max(counts.values()) < 2 * min(counts.values())  # 100 expected each
    for d in decisions:
        if d.offer is None:
            continue
        offer = CATALOGUE.by_id(d.offer.offer_id)
        assert d.offer.multiplier == str(offer.multiplier)
        assert d.offer.expires_at == NOW + timedelta(days=offer.duration_days)
        assert d.offer.attributes["category"] == str(offer.category)
        assert d.offer.title.startswith(f"{offer.multiplier}x points at {offer.category}")


def test_a_decision_stands_while_active_then_a_new_one_is_logged_with_fatigue():
    log = MemoryDecisionLog()
    policy = BanditOfferPolicy.from_checkpoint(log, None, seed=3)
    first = policy.choose(context())
    record = log.all()[0]
    offer = CATALOGUE.by_id(record.action)
    hold = timedelta(days=offer.duration_days) if offer.is_offer else NO_OFFER_HOLD
    again = policy.choose(context(now=NOW + hold - timedelta(seconds=1)))
    assert again == first and len(log.all()) == 1            # the same offer, nothing logged twice
    later = NOW + hold
    policy.choose(context(now=later))
    assert len(log.all()) == 2
    newest = max(log.all(), key=lambda r: r.at)
    assert newest.at == later
    assert newest.context["offers_30d"] == (1 if offer.is_offer and hold <= timedelta(days=30) else 0)
    assert newest.context["last_offer_category"] == (str(offer.category) if offer.is_offer else "none")


def test_every_customer_gets_an_offer_repeatedly_shown_with_its_logged_propensity():
    log = MemoryDecisionLog()
    policy = BanditOfferPolicy.from_checkpoint(log, None, seed=5)
    for i in range(20):
        first = policy.choose(context(customer=f"cus_{i}"))
        for minutes in (1, 60, 600):
            assert policy.choose(context(customer=f"cus_{i}", now=NOW + timedelta(minutes=minutes))) == first
    assert len(log.all()) == 20


def test_a_merchant_without_a_category_gets_no_offer_and_nothing_is_logged():
    log = MemoryDecisionLog()
    decision = BanditOfferPolicy.from_checkpoint(log, None, seed=1).choose(context(category=None))
    assert not decision.configured and decision.offer is None and "no offer category" in decision.detail
    assert log.all() == []


def test_each_category_offers_only_its_own_offers():
    for category in ("grocery", "dining", "fuel", "travel"):
        log = MemoryDecisionLog()
        policy = BanditOfferPolicy.from_checkpoint(log, None, seed=9)
        shown = [policy.choose(context(customer=f"cus_{i}", category=category)) for i in range(60)]
        assert {d.offer.attributes["category"] for d in shown if d.offer is not None} == {category}
        assert all(r.actions == CATALOGUE.for_category(category).ids for r in log.all())


def test_a_standing_offer_of_another_category_lapses_when_the_operator_changes_it():
    log = MemoryDecisionLog()
    policy = BanditOfferPolicy.from_checkpoint(log, None, seed=3)
    customers = [f"cus_{i}" for i in range(30)]
    first = {c: policy.choose(context(customer=c)) for c in customers}
    with_offer = [c for c in customers if first[c].offer is not None]
    assert with_offer
    later = NOW + timedelta(hours=1)
    for c in customers:
        again = policy.choose(context(customer=c, now=later, category="fuel"))
        if c in with_offer:  # its grocery offer could not pay at a fuel merchant: a new decision among fuel's
            assert again.offer is None or again.offer.attributes["category"] == "fuel"
        else:                # "no offer" still stands
            assert again == first[c]
    assert len(log.all()) == len(customers) + len(with_offer)


def test_decisions_are_scoped_to_the_merchant():
    log = MemoryDecisionLog()
    policy = BanditOfferPolicy.from_checkpoint(log, None, seed=2)
    policy.choose(context(merchant="m_shop"))
    policy.choose(context(merchant="m_other"))
    assert sorted(r.merchant_id for r in log.all()) == ["m_other", "m_shop"]
    assert [r.merchant_id for r in log.recent("m_other", "cus_1", since=NOW, limit=10)] == ["m_other"]


def trained_checkpoint(favourite: str, epsilon: float = 0.1) -> bytes:
    """A VW policy that learned, from uniform logs over the features the adapter builds, that `favourite` pays."""
    features = [customer_features(CustomerHistory(purchases_from(earned_entries(amount))), NOW)
                for amount in (500, 2000, 9000)]
    rng = np.random.default_rng(0)
    best = CATALOGUE.index(favourite)
    rows = [LoggedOutcome(features[int(rng.integers(3))], a, 1 / K, 10.0 if a == best else 0.0)
            for a in (int(rng.integers(K)) for _ in range(3000))]
    vw = VowpalOfferPolicy(CATALOGUE, Exploration("epsilon", epsilon), seed=0)
    vw.learn_all(rows, passes=3, seed=0)
    return vw.to_bytes()


def test_a_trained_checkpoint_picks_what_it_learned_among_the_merchants_actions(tmp_path):
    model = trained_checkpoint("3x-dining-7d")
    log = MemoryDecisionLog()
    path = tmp_path / "offers.vw"
    path.write_bytes(model)
    policy = BanditOfferPolicy.from_checkpoint(log, path, seed=11)
    decisions = [policy.choose(context(customer=f"cus_{i}", entries=earned_entries(), category="dining"))
                 for i in range(200)]
    assert all(d.policy_version == checkpoint_version(model) for d in decisions)
    greedy = [d for d in decisions if d.offer is not None and d.offer.offer_id == "3x-dining-7d"]
    kd = len(CATALOGUE.for_category("dining"))
    assert len(greedy) > 150                                   # 1 - 0.1 + 0.1 / 5 = 0.92 expected
    assert all(d.propensity == pytest.approx(1 - 0.1 + 0.1 / kd, abs=1e-3) for d in greedy)
    others = [r for r in log.all() if r.action != "3x-dining-7d"]
    assert all(r.propensity == pytest.approx(0.1 / kd, abs=1e-3) for r in others)
    assert all(r.actions == CATALOGUE.for_category("dining").ids for r in log.all())
    assert len(log.all()) == 200
    # at a grocery merchant the favourite is not offered: the model's choice among grocery's actions
    grocery = [policy.choose(context(customer=f"g_{i}", entries=earned_entries())) for i in range(50)]
    assert all(d.offer is None or d.offer.attributes["category"] == "grocery" for d in grocery)
    assert BanditOfferPolicy.from_checkpoint(MemoryDecisionLog(), model).policy.version == checkpoint_version(model)


def test_an_empty_checkpoint_is_refused():
    with pytest.raises(ValueError, match="empty"):
        BanditOfferPolicy.from_checkpoint(MemoryDecisionLog(), b"")


def test_purchases_are_read_from_real_earn_entries_net_of_refunds():
    [purchase] = purchases_from(earned_entries(2000, rate="1.5"))  # 20.00 USD: 30 points
    assert purchase.amount == pytest.approx(20.0) and purchase.at == NOW - timedelta(days=2)
    [refunded] = purchases_from(earned_entries(2000, refunded=500, rate="1.5"))  # 7 of 30 points clawed
    assert refunded.amount == pytest.approx(20.0 * 23 / 30)
    [full] = purchases_from(earned_entries(2000, refunded=2000))
    assert full.amount == 0.0


def test_the_features_the_policy_logs_come_from_the_ledger_page():
    log = MemoryDecisionLog()
    BanditOfferPolicy.from_checkpoint(log, None, seed=1).choose(context(entries=earned_entries(9000)))
    [record] = log.all()
    assert record.context["frequency_30d"] == 1 and record.context["monetary_90d"] == 90.0
    assert record.context["recency_days"] == 2.0


def test_the_statement_at_a_merchant_without_a_category_shows_no_offer_and_logs_nothing():
    store = MemoryStore()
    uow = lambda: FakeUnitOfWork(store)  # noqa: E731
    ledger.apply_captured(Capture("m_shop", "cus_1", "pay_1", "evt_c", "USD", 2500, NOW), uow, EarnRates("1"))
    log = MemoryDecisionLog()
    found = ledger.statement("m_shop", "cus_1", uow, BanditOfferPolicy.from_checkpoint(log, None, seed=4),
                             limit=20, before_seq=None, now=NOW)
    view = statement_view(found)["offers"]
    assert view == {"status": "not_configured", "detail": ledger.NO_MERCHANT_CATEGORY, "active": []}
    assert log.all() == []


def test_the_statement_shows_the_chosen_offer_through_the_api_view():
    store = MemoryStore()
    uow = lambda: FakeUnitOfWork(store)  # noqa: E731
    ledger.apply_captured(Capture("m_shop", "cus_1", "pay_1", "evt_c", "USD", 2500, NOW), uow, EarnRates("1"))
    ledger.set_merchant_category("m_shop", "travel", uow, NOW)
    log = MemoryDecisionLog()
    found = ledger.statement("m_shop", "cus_1", uow, BanditOfferPolicy.from_checkpoint(log, None, seed=4),
                             limit=20, before_seq=None, now=NOW)
    view = statement_view(found)["offers"]
    [record] = log.all()
    assert view["status"] == "ok" and view["policy_version"] == UNIFORM_VERSION
    assert view["propensity"] == pytest.approx(1 / KG) and record.actions == CATALOGUE.for_category("travel").ids
    assert [o["offer_id"] for o in view["active"]] == ([] if record.action == "none" else [record.action])


def test_a_decision_record_refuses_an_invalid_propensity_or_action():
    ok = dict(merchant_id="m", customer_id="c", decision_id="ofd_1", at=NOW, policy_version="v",
              action="none", propensity=0.5, actions=("none", "x"), probabilities=(0.5, 0.5))
    DecisionRecord(**ok)
    for bad in ({"propensity": 0.0}, {"propensity": float("nan")}, {"action": "y"}, {"probabilities": (1.0,)},
                {"at": NOW.replace(tzinfo=None)}):
        with pytest.raises(ValueError):
            DecisionRecord(**{**ok, **bad})


def test_the_memory_claim_lets_one_of_two_draws_stand():
    log = MemoryDecisionLog()
    ok = dict(merchant_id="m_shop", customer_id="cus_1", at=NOW, policy_version="v", propensity=0.5,
              actions=("none", "2x-grocery-7d"), probabilities=(0.5, 0.5))
    first = DecisionRecord(decision_id="ofd_1", action="none", **ok)
    second = DecisionRecord(decision_id="ofd_2", action="2x-grocery-7d", **ok)
    assert log.claim(first, None) == first
    assert log.claim(second, None) == first            # lost: the winner's decision is shown
    third = DecisionRecord(**{**ok, "at": NOW + NO_OFFER_HOLD}, decision_id="ofd_3", action="none")
    assert log.claim(third, "ofd_1") == third          # replaces the lapsed one it names
    assert log.claim(second, "ofd_1") == third
