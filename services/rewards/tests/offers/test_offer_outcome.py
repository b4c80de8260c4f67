"""What a logged decision earned, from real ledger entries (domain rules): the half-open window, refunds of the
window only, the bonus on the spend inside the offer; the logged context read back; the simulators' purchases
one by one agree with their expected rewards; the training verdict and the time-ordered split."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest

from smartpay_rewards.domain import ledger as rules
from smartpay_rewards.domain.model import Account, Capture, OfferTerms, Refund
from smartpay_rewards.offers.catalogue import NO_OFFER, Category, Offer, default_catalogue
from smartpay_rewards.offers.features import CustomerFeatures, category_of, customer_features
from smartpay_rewards.offers.history import CustomerHistory, OfferShown, Purchase
from smartpay_rewards.offers.outcome import outcome_of, payments_from
from smartpay_rewards.offers.reward import RewardDefinition
from smartpay_rewards.offers.simulator import RESPONSE_MODELS
from smartpay_rewards.service_layer import offer_training as training
from smartpay_rewards.service_layer.decision_log import DecisionRecord

T = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RATE = Decimal("1.5")
CATALOGUE = default_catalogue()


class Ledger:
    """Entries of one account written by the ledger's own rules, at a grocery merchant."""

    def __init__(self):
        self.account, self.payments, self.entries = Account("m_shop", "cus_1"), {}, []

    def capture(self, payment_id, amount, at, offer=None):
        change = rules.apply_capture(self.account, None, Capture("m_shop", "cus_1", payment_id, f"evt_{payment_id}",
                                                                 "USD", amount, at), RATE, "grocery", offer)
        self._keep(change, payment_id)

    def refund(self, payment_id, amount, at):
        record = self.payments[payment_id]
        change = rules.apply_refund(self.account, record, Refund(
            "m_shop", "cus_1", payment_id, f"evt_r_{payment_id}_{amount}", f"re_{payment_id}", "USD", amount,
            record.refunded_total + amount, at))
        self._keep(change, payment_id)

    def _keep(self, change, payment_id):
        self.account, self.payments[payment_id] = change.account, change.payment
        self.entries += change.entries


def test_the_outcome_is_the_window_after_the_decision_net_of_its_refunds_with_the_bonus_its_offer_paid():
    first = OfferTerms("3x-grocery-7d", "ofd_1", "grocery", 3, T, T + timedelta(days=7))
    later = OfferTerms("2x-grocery-7d", "ofd_2", "grocery", 2, T + timedelta(days=7), T + timedelta(days=14))
    book = Ledger()
    book.capture("pay_before", 5000, T - timedelta(days=1), first)  # before the decision: not its outcome
    book.capture("pay_at", 1000, T, first)                       # at the decision: 15 base + 30 bonus
    book.refund("pay_before", 5000, T + timedelta(days=2))       # another payment's refund: not this decision's
    book.capture("pay_in", 2000, T + timedelta(days=1), first)   # 30 base + 60 bonus
    book.refund("pay_in", 500, T + timedelta(days=3))            # a quarter back: floor(90 x 0.25) = 22 points
    book.capture("pay_other", 1000, T + timedelta(days=8), later)  # the next decision's offer: 15 + its bonus 15
    book.capture("pay_late", 1000, T + timedelta(days=10))       # no offer standing: 15 base
    book.refund("pay_late", 1000, T + timedelta(days=15))        # after the window: not counted
    book.capture("pay_after", 9900, T + timedelta(days=14))      # the window is half-open
    got = outcome_of("ofd_1", T, book.entries)
    kept = 68 / 90
    spend = 10 + 20 * kept + 10 + 10
    base = 15 + 30 * kept + 15 + 15
    bonus = 30 + 60 * kept                                       # what ofd_1's offer paid, net of the clawback
    assert got.payments == 4 and got.points == pytest.approx(base) and got.bonus_points == pytest.approx(bonus)
    assert got.spend == pytest.approx(spend)
    assert got.reward == pytest.approx(0.10 * spend - 0.01 * (base + bonus))
    # the later decision is charged only its own bonus (its window holds the same payments from day 8 on)
    assert outcome_of("ofd_2", T + timedelta(days=7), book.entries).bonus_points == 15
    none = outcome_of("ofd_none", T, book.entries)               # a decision whose offer paid nothing
    assert none.bonus_points == 0 and none.reward == pytest.approx(0.10 * spend - 0.01 * base)
    # read at the end of time, the late refund counts for the features (purchases_from), not for the outcome
    assert {p.payment_id: p.clawed for p in payments_from(book.entries)}["pay_late"] == 15
    assert RewardDefinition().of(100.0, 150) == pytest.approx(10.0 - 1.5)


def test_nothing_bought_is_a_reward_of_zero_and_naive_times_are_refused():
    assert outcome_of("ofd_1", T, []).reward == 0.0
    with pytest.raises(ValueError):
        outcome_of("ofd_1", datetime(2026, 12, 6), [])


def test_the_logged_context_reads_back_into_the_same_features():
    history = CustomerHistory(
        purchases=(Purchase(T - timedelta(days=40), 60.0, "supermarket"), Purchase(T - timedelta(days=2.5), 30.0,
                   "restaurant"), Purchase(T - timedelta(days=1), 10.0, None)),
        offers=(OfferShown(T - timedelta(days=20), "3x-fuel-14d"),))
    features = customer_features(history, T)
    back = CustomerFeatures.from_mapping(features.as_mapping())
    assert back.as_mapping() == features.as_mapping()
    assert back.vector() == pytest.approx(features.vector(), abs=1e-3)
    assert back.top_category == "grocery" and back.last_offer_category == "fuel"
    never = CustomerFeatures.from_mapping(customer_features(CustomerHistory(), T).as_mapping())
    assert never.last_offer_category is None and never.top_category is None
    mapping = features.as_mapping()
    del mapping["offers_30d"]
    with pytest.raises(ValueError, match="offers_30d"):
        CustomerFeatures.from_mapping(mapping)
    with pytest.raises(ValueError, match="malformed"):
        CustomerFeatures.from_mapping({**features.as_mapping(), "recency_days": "soon"})


@pytest.mark.parametrize("name", sorted(RESPONSE_MODELS))
def test_the_simulators_purchases_one_by_one_earn_their_expected_rewards(name):
    model = RESPONSE_MODELS[name](CATALOGUE)
    cohort = model.customers(8000, 5)
    actions = np.random.default_rng(1).integers(0, len(CATALOGUE), len(cohort))
    rewards = []
    for a, purchases in zip(actions, model.sample_purchases(cohort, actions, 7)):
        offer = CATALOGUE.offers[a]
        assert all(cohort.now <= p.at < cohort.now + timedelta(days=14) for p in purchases)
        inside = sum(p.amount for p in purchases if offer.is_offer and category_of(p.merchant_category) ==
                     offer.category.value and p.at < cohort.now + timedelta(days=offer.duration_days))
        rewards.append(model.reward.reward(sum(p.amount for p in purchases), offer.bonus_points(inside, 1.0)))
    rewards = np.array(rewards)
    expected = model.expected_rewards(cohort)[np.arange(len(cohort)), actions].mean()
    assert abs(rewards.mean() - expected) < 3 * rewards.std() / np.sqrt(len(rewards))


def _joined(n):
    features = customer_features(CustomerHistory(), T)
    k = len(CATALOGUE)
    return [training.JoinedDecision(
        DecisionRecord("m_shop", f"cus_{i}", f"ofd_{i:04d}", T + timedelta(hours=i), "uniform-v1", "none", 1 / k,
                       CATALOGUE.ids, (1 / k,) * k, features.as_mapping()),
        features, outcome_of(f"ofd_{i:04d}", T, [])) for i in range(n)]


def test_the_split_holds_out_the_newest_decisions_and_refuses_too_few():
    train, held = training.split(_joined(40), training.TrainingSettings(held_out=0.25))
    assert len(train) == 30 and len(held) == 10
    assert max(d.record.at for d in train) < min(d.record.at for d in held)
    with pytest.raises(training.NotEnoughDecisions, match="19 joined decisions"):
        training.split(_joined(19), training.TrainingSettings(held_out=0.5))
    with pytest.raises(ValueError):
        training.TrainingSettings(held_out=1.0)


def _ope(low, margin=0.3):
    return {"policies": {}, "margins_over_baseline": {"learned": {"dr": {
        "value": margin, "ci95": [low, 2 * margin - low] if low is not None else None}}}}


def test_the_verdict_wants_the_paired_margin_over_logging_above_0():
    assert training.verdict(_ope(0.01)).publishable
    assert not training.verdict(_ope(0.0)).publishable
    assert not training.verdict(_ope(None)).publishable
    assert not training.verdict({"policies": {}, "margins_over_baseline": {}}).publishable
    refused = training.verdict(_ope(-0.1, 0.2))
    assert "not above 0" in refused.reason and (refused.margin_low, refused.margin) == (-0.1, 0.2)


class Shelf:
    """An OfferModelStore in memory."""

    def __init__(self):
        self.objects = {}

    def get(self, uri):
        return self.objects[uri][0]

    def put(self, uri, model, version, report):
        self.objects[uri] = (model, version, dict(report))


def test_publish_puts_the_judged_checkpoint_only_when_shown_better_or_forced():
    def result(publishable):
        return SimpleNamespace(verdict=training.verdict(_ope(0.1 if publishable else -0.1)), model=b"vw",
                               version="offers-vw-abc")

    shelf, uri = Shelf(), "s3://models/offers.vw"
    found = {}
    assert training.publish(result(False), found, shelf, uri) == training.Published(None, False)
    assert shelf.objects == {} and found["published"] == {"uri": None, "forced": False}
    assert training.publish(result(True), {}, shelf, None) == training.Published(None, False)  # not asked
    assert training.publish(result(False), found, shelf, uri, force=True) == training.Published(uri, True)
    assert shelf.objects[uri][:2] == (b"vw", "offers-vw-abc")
    shelf.objects.clear()
    assert training.publish(result(True), found, shelf, uri) == training.Published(uri, False)
    assert found["published"] == {"uri": uri, "forced": False} and uri in shelf.objects


def test_the_join_over_the_memory_adapters_leaves_out_what_it_cannot_use_and_says_why():
    from smartpay_rewards.adapters.decision_log import MemoryDecisionLog
    from smartpay_rewards.adapters.memory import FakeUnitOfWork, MemoryStore
    from smartpay_rewards.domain.points import EarnRates
    from smartpay_rewards.service_layer import ledger

    store, log = MemoryStore(), MemoryDecisionLog()
    uow = lambda: FakeUnitOfWork(store)  # noqa: E731
    context = customer_features(CustomerHistory(), T).as_mapping()

    def record(i, at, merchant="m_shop", actions=CATALOGUE.ids, ctx=context):
        return DecisionRecord(merchant, f"cus_{i}", f"ofd_{i}", at, "uniform-v1", "none", 1 / len(actions),
                              actions, (1 / len(actions),) * len(actions), ctx)

    for r in (record(1, T), record(2, T, merchant="m_other", actions=CATALOGUE.for_category("fuel").ids),
              record(3, T, actions=("none", "2x-x-7d")),
              record(4, T, ctx={"recency_days": 1.0}), record(5, T + timedelta(days=10)),
              record(6, T - timedelta(days=1))):
        log.append(r)
    ledger.apply_captured(Capture("m_shop", "cus_1", "pay_1", "evt_1", "USD", 4200, T + timedelta(days=1)), uow,
                          EarnRates("1"))
    joined = training.join_outcomes(log, uow, CATALOGUE, since=T, until=T + timedelta(days=11),
                                    as_of=T + timedelta(days=20))
    assert [d.record.decision_id for d in joined.decisions] == ["ofd_1", "ofd_2"]
    assert joined.excluded == {training.WINDOW_OPEN: 1, training.OTHER_CATALOGUE: 1, training.BAD_CONTEXT: 1}
    assert joined.decisions[0].outcome.points == 42 and joined.decisions[1].outcome.points == 0
    mine = training.join_outcomes(log, uow, CATALOGUE, since=T, until=T + timedelta(days=11),
                                  as_of=T + timedelta(days=20), merchant_id="m_other")
    assert [d.record.decision_id for d in mine.decisions] == ["ofd_2"]
    # a merchant's part of the catalogue is the action set the row trains and is judged over
    row = mine.decisions[0].row(CATALOGUE)
    assert row.actions == tuple(CATALOGUE.index(a) for a in CATALOGUE.for_category("fuel").ids)
    with pytest.raises(ValueError):
        training.join_outcomes(log, uow, CATALOGUE, since=T, until=T, as_of=T)


def test_training_and_ope_read_each_decision_over_the_actions_it_offered():
    """Decisions logged at a grocery and at a fuel merchant, each uniform over its 5 actions: the learned,
    logging and uniform policies give probability only to the actions a decision offered (so every importance
    weight is defined), the logging and uniform ones agree, and the model trains on those sets."""
    rng = np.random.default_rng(3)
    features = [customer_features(CustomerHistory((Purchase(T - timedelta(days=d), 40.0, None),)), T)
                for d in (1, 20, 60)]
    decisions = []
    for i in range(160):
        offered = CATALOGUE.for_category("grocery" if i % 2 else "fuel")
        action = offered.ids[int(rng.integers(len(offered)))]
        k = len(offered)
        record = DecisionRecord("m_grocer" if i % 2 else "m_fuel", f"cus_{i}", f"ofd_{i:04d}",
                                T + timedelta(hours=i), "uniform-v1", action, 1 / k, offered.ids, (1 / k,) * k,
                                features[i % 3].as_mapping())
        reward = 5.0 if action.startswith("3x") else 0.0
        decisions.append(training.JoinedDecision(record, features[i % 3], SimpleNamespace(
            reward=reward + float(rng.normal(0, 0.1)), spend=0.0, points=0.0, bonus_points=0.0)))
    joined = training.JoinedLog(T, T + timedelta(days=30), T + timedelta(days=60), timedelta(days=14), decisions)
    result = training.train_and_evaluate(joined, CATALOGUE, training.TrainingSettings(held_out=0.5,
                                                                                       learning_rate=0.5))
    held = result.held_out
    learned = training.offered_matrix(held, CATALOGUE, lambda d, o: result.policy.probabilities(d.features, o))
    for d, p in zip(held, learned):
        outside = [i for i, a in enumerate(CATALOGUE.ids) if a not in d.record.actions]
        assert p[outside].sum() == 0 and p.sum() == pytest.approx(1)
    ope = result.ope["policies"]
    assert ope["uniform"]["estimates"]["dr"]["value"] == pytest.approx(ope["logging"]["estimates"]["dr"]["value"])
    assert ope["logging"]["mean_weight"] == pytest.approx(1.0)
    # it learned that a 3x offer pays, among each merchant's own actions
    found = training.report(joined, result, CATALOGUE)["learned_greedy_actions"]
    assert set(found) <= {"3x-grocery-7d", "3x-grocery-14d", "3x-fuel-7d", "3x-fuel-14d"}
    assert result.verdict.publishable


def test_the_spend_is_the_amount_the_earn_entry_carries_and_an_entry_without_it_is_refused():
    from dataclasses import replace

    from smartpay_rewards.offers.outcome import EarnWithoutAmount

    book = Ledger()
    book.capture("pay_1", 1999, T + timedelta(days=1))
    [earn] = book.entries
    assert (earn.amount, earn.currency) == (1999, "USD")
    assert [p.amount for p in payments_from(book.entries)] == [pytest.approx(19.99)]
    # the detail text is not read: an entry that lost its amount is refused, not guessed from its points
    for bad in (replace(earn, amount=None), replace(earn, currency=None), replace(earn, currency="XXX")):
        with pytest.raises(EarnWithoutAmount, match=earn.entry_id):
            payments_from([bad])
    assert payments_from([replace(earn, detail="")])[0].amount == pytest.approx(19.99)
    # a statement's features leave such an older entry out instead of failing the customer's statement
    from smartpay_rewards.offers.outcome import purchases_from

    assert purchases_from([replace(earn, amount=None)]) == ()
    assert [p.amount for p in purchases_from([replace(earn, amount=None), *book.entries])] == [pytest.approx(19.99)]
