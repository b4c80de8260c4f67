"""The offers learning loop on the session's private moto server: decisions logged by the bandit policy over
the real decision log, ledger entries written by the real ledger service applying payment.captured events,
`smartpay rewards offers train` joining them, training, judging (OPE) and publishing to S3, and the API's cold
start serving the published checkpoint.

The customers' response comes from the simulator's latent-segment model (offers/simulator.py, written apart
from the features), with two segments tuned so that 900 decisions show what offers do: a regular customer
ignores offers (sensitivity 0: an offer only costs its bonus), a lapsing one (its purchase rate down 90 % over
the last 30 days) comes back for one (sensitivity 4, on its earlier rate); both buy about once in two weeks,
85 % of it groceries, all at m_shop, a grocery merchant: the ledger pays a grocery offer's bonus on all of it.
The policy sees only what the ledger shows of them (the features have no category share yet). With the
model's default rewards a log this small would not show any policy better (docs/rewards-offers.md: OPE needs
tens of thousands of rows there); at this size and setting (learning rate 0.05, the newest 60 % held out)
the learned policy was shown better on each of 18 seeds of the same log simulated without the stores."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from typer.testing import CliRunner

from smartpay_shared.cli.main import app as smartpay_cli
from smartpay_shared.events import payloads as p

from smartpay_rewards import bootstrap
from smartpay_rewards.adapters.decision_log import DynamoDecisionLog
from smartpay_rewards.adapters.dynamodb import DynamoUnitOfWork
from smartpay_rewards.adapters.offer_model_store import REPORT_SUFFIX
from smartpay_rewards.adapters.offer_policy import UNIFORM_VERSION, BanditOfferPolicy, checkpoint_version
from smartpay_rewards.config import RewardsSettings, rewards_settings
from smartpay_rewards.domain.events import capture_of, refund_of
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.offers.catalogue import NO_OFFER, Category, Offer, default_catalogue
from smartpay_rewards.offers.features import customer_features
from smartpay_rewards.offers.history import CustomerHistory, Purchase
from smartpay_rewards.offers.simulator import LatentSegmentModel
from smartpay_rewards.service_layer import ledger
from smartpay_rewards.service_layer.decision_log import DecisionRecord
from smartpay_rewards.service_layer.offer_training import WINDOW_OPEN, join_outcomes
from smartpay_rewards.service_layer.shown_offers import ShownOffers
from smartpay_rewards.testing import rewards_call

pytestmark = pytest.mark.integration
CATALOGUE = default_catalogue()
K = len(CATALOGUE)
SETTINGS = RewardsSettings()
RATES = EarnRates("1", {})
BUCKET = "smartpay-offer-models"
URI = f"s3://{BUCKET}/offers/model.vw"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def uow_factory(ddb):
    return lambda: DynamoUnitOfWork(ddb, SETTINGS.ledger_table, SETTINGS.accounts_table)


class Ledger:
    """payment.captured / payment.refunded events through the real ledger service, which pays the bonus of the
    offer standing in the DynamoDB decision log at merchants whose category the operator set."""

    def __init__(self, ddb, prefix="a"):
        self.uow, self.prefix, self.n = uow_factory(ddb), prefix, 0
        self.offers = ShownOffers(DynamoDecisionLog(ddb, SETTINGS.offer_decisions_table), CATALOGUE)

    def capture(self, merchant, customer, amount_minor, at):
        self.n += 1
        pay = f"pay_{self.prefix}{self.n:010d}"
        data = p.PaymentCaptured(payment_id=pay, merchant_id=merchant, attempt=1, gateway="stripe",
                                 gateway_reference=f"pi_{pay}", currency="USD", amount=amount_minor,
                                 customer_id=customer)
        ledger.apply_captured(capture_of(data, f"evt_c_{pay}", at), self.uow, RATES, self.offers)
        return data.payment_id

    def refund(self, merchant, customer, payment_id, amount_minor, captured_minor, at):
        snapshot = p.PaymentSnapshot(version=3, status="partially_refunded", currency="USD", amount=captured_minor,
                                     method="card", customer_id=customer, captured_amount=captured_minor,
                                     refunded_amount=amount_minor, created_at=at)
        data = p.PaymentRefunded(payment_id=payment_id, merchant_id=merchant, gateway="stripe",
                                 refund_id=f"re_{payment_id}", currency="USD", amount=amount_minor,
                                 total_refunded=amount_minor, reason="requested_by_customer", payment=snapshot)
        ledger.apply_refunded(refund_of(data, f"evt_r_{payment_id}", at), self.uow)


def logged(merchant, customer, i, at, action, context=None):
    return DecisionRecord(merchant, customer, f"ofd_{i:04d}", at, UNIFORM_VERSION, action, 1 / K, CATALOGUE.ids,
                          (1 / K,) * K, context or customer_features(CustomerHistory(), at).as_mapping())


def test_the_join_reads_each_merchants_own_ledger_within_elapsed_windows_only(wired):
    ddb = wired["ddb"]
    book, log = Ledger(ddb), DynamoDecisionLog(ddb, SETTINGS.offer_decisions_table)
    offer = Offer(2, Category.GROCERY, 7)
    ledger.set_merchant_category("m_a", "grocery", book.uow, T0)  # m_b has none: no offer pays there
    # m_a's customer cus_1: a logged context (what the policy saw then), then 40.00 inside the offer with 10.00
    # of it refunded, 25.00 after the offer, 99.00 after the window; and 500.00 before the decision.
    context = customer_features(CustomerHistory((Purchase(T0 - timedelta(days=3), 500.0, None),)), T0).as_mapping()
    log.append(logged("m_a", "cus_1", 1, T0, offer.offer_id, context))
    book.capture("m_a", "cus_1", 50000, T0 - timedelta(days=3))
    inside = book.capture("m_a", "cus_1", 4000, T0 + timedelta(days=2))
    book.refund("m_a", "cus_1", inside, 1000, 4000, T0 + timedelta(days=4))
    book.capture("m_a", "cus_1", 2500, T0 + timedelta(days=9))
    book.capture("m_a", "cus_1", 9900, T0 + timedelta(days=15))
    # m_b's customer of the same id buys a lot inside m_a's window: never m_a's outcome
    log.append(logged("m_b", "cus_1", 2, T0 + timedelta(hours=1), "none"))
    book.capture("m_b", "cus_1", 77700, T0 + timedelta(days=1))
    # decided 10 days before as_of: its window is still open
    as_of = T0 + timedelta(days=20)
    log.append(logged("m_a", "cus_2", 3, as_of - timedelta(days=10), "none"))
    # decided before `since`: not read
    log.append(logged("m_a", "cus_3", 4, T0 - timedelta(days=30), "none"))

    joined = join_outcomes(log, uow_factory(ddb), CATALOGUE, since=T0 - timedelta(days=1), until=as_of,
                           as_of=as_of)
    assert joined.excluded == {WINDOW_OPEN: 1} and joined.read == 3
    a, b = joined.decisions
    assert (a.record.merchant_id, b.record.merchant_id) == ("m_a", "m_b")
    # m_a: 30.00 kept of the 40.00 (30 of its 40 base points) and 25.00 (25 points); the 2x bonus the ledger paid
    # on the 40.00 inside the offer (40 points), three quarters of it kept: 30
    assert (a.outcome.payments, a.outcome.points, a.outcome.bonus_points) == (2, 55, 30)
    assert a.outcome.spend == pytest.approx(55.0)
    assert a.outcome.reward == pytest.approx(0.10 * 55 - 0.01 * (55 + 30))
    assert a.features.as_mapping() == context and a.features.monetary_90d == 500.0
    # m_b: its own 777.00 only
    assert (b.outcome.payments, b.outcome.points, b.outcome.bonus_points) == (1, 777, 0)
    only_b = join_outcomes(log, uow_factory(ddb), CATALOGUE, since=T0 - timedelta(days=1), until=as_of,
                           as_of=as_of, merchant_id="m_b")
    assert [d.record.decision_id for d in only_b.decisions] == ["ofd_0002"] and only_b.excluded == {}


class Responsive(LatentSegmentModel):
    name = "responsive"
    # segment: share, weekly purchases, ticket, affinity (grocery, dining, fuel, travel, other), sensitivity,
    # fatigue, lapse
    SEGMENTS = {"regular": (0.5, 0.5, 100.0, (0.85, 0.05, 0.04, 0.03, 0.03), 0.0, 0.3, 0.0),
                "lapsing": (0.5, 0.5, 100.0, (0.85, 0.05, 0.04, 0.03, 0.03), 4.0, 0.3, 0.9)}


HISTORY = 1          # purchases per customer written before its decision (its newest ones)
STEP = timedelta(hours=1)


def build_log(ddb, n: int, seed: int) -> tuple[list[datetime], np.ndarray]:
    """Customers of m_shop, one decision each, STEP apart in a random order: each one's newest purchases,
    then the decision by the uniform logging policy through the ledger's statement (as the API makes it), then
    the purchases the response model answers the decided offer with, each a payment.captured. A customer
    of the n drawn with no purchase has no account (the API answers 404) and is left out."""
    model = Responsive(CATALOGUE)
    cohort = model.customers(n, seed)
    # a new programme: no offer shown before (the model's fatigue matches the log, which has none)
    cohort.traits["recent_offers"][:] = 0
    cohort.traits["same_category"][:] = -1
    book = Ledger(ddb)
    ledger.set_merchant_category("m_shop", "grocery", book.uow, T0)
    policy = BanditOfferPolicy.from_checkpoint(DynamoDecisionLog(ddb, SETTINGS.offer_decisions_table), None,
                                               seed=seed)
    order = [i for i in np.random.default_rng(seed).permutation(n) if cohort.histories[i].purchases]
    decided_at = {}
    actions = np.zeros(n, dtype=int)
    for k, i in enumerate(order):
        at = decided_at[i] = T0 + k * STEP
        customer = f"cus_{i:05d}"
        for purchase in cohort.histories[i].purchases[-HISTORY:]:
            book.capture("m_shop", customer, round(purchase.amount * 100), at + (purchase.at - cohort.now))
        shown = ledger.statement("m_shop", customer, book.uow, policy, limit=20, before_seq=None, now=at).offers
        actions[i] = CATALOGUE.index(shown.offer.offer_id if shown.offer else NO_OFFER.offer_id)
    for i, purchases in enumerate(model.sample_purchases(cohort, actions, seed + 1)):
        if i not in decided_at:
            continue
        # m_shop is a grocery merchant (the operator's category): the ledger pays a grocery offer's bonus on all
        # of its purchases inside the offer, whatever category the simulator drew them in
        for purchase in purchases:
            book.capture("m_shop", f"cus_{i:05d}", round(purchase.amount * 100),
                         decided_at[i] + (purchase.at - cohort.now))
    return sorted(decided_at.values()), actions[order]


def train(*args: str):
    return CliRunner().invoke(smartpay_cli, ["rewards", "offers", "train", *args])


def test_the_loop_learns_from_the_log_publishes_only_a_better_policy_and_the_api_serves_it(wired, aws, monkeypatch):
    ddb, s3 = wired["ddb"], aws("s3")
    s3.create_bucket(Bucket=BUCKET)
    times, actions = build_log(ddb, 900, seed=4)
    n, still_open = len(times), 25
    # the uniform logging policy showed every action a grocery merchant allows, and only those
    assert {CATALOGUE.ids[a] for a in actions} == set(CATALOGUE.for_category("grocery").ids)
    # the last `still_open` decisions were made less than the 14-day window before as_of
    as_of = times[n - 1 - still_open] + timedelta(days=14)
    until = times[-1] + STEP
    window = ["--as-of", as_of.isoformat(), "--held-out", "0.6", "--learning-rate", "0.05", "--seed", "2"]

    def stored() -> list[str]:
        return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]

    # The first 40 decisions alone cannot show the learned policy better: --publish is refused.
    few = ["--since", T0.isoformat(), "--until", (T0 + 40 * STEP).isoformat(), *window, "--publish", URI]
    refused = train(*few, "--json")
    assert refused.exit_code == 1, refused.output
    report = json.loads(refused.stdout)
    assert report["join"]["used"] == 40 and not report["verdict"]["publishable"] and stored() == []
    assert "not above 0" in report["verdict"]["reason"] and "not published" in refused.output
    forced = train(*few, "--force", "--json")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["published"] == {"uri": URI, "forced": True}
    assert sorted(stored()) == ["offers/model.vw", "offers/model.vw" + REPORT_SUFFIX]

    # The whole log: the windows still open are left out, the rest trains and is judged, time-ordered.
    out = train("--since", T0.isoformat(), "--until", until.isoformat(), *window, "--publish", URI, "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["join"]["read"] == n and report["join"]["excluded"] == {WINDOW_OPEN: still_open}
    assert report["join"]["used"] == n - still_open == report["train"]["decisions"] + report["held_out"]["decisions"]
    assert report["train"]["last"] <= report["held_out"]["first"]
    assert report["held_out"]["last"] <= (as_of - timedelta(days=14)).isoformat()
    assert report["train"]["policy_versions"] == {UNIFORM_VERSION: report["train"]["decisions"]}
    ope = report["ope"]
    assert set(ope["policies"]) == {"learned", "logging", "uniform"}
    learned_dr, logging_dr = ope["policies"]["learned"]["estimates"]["dr"], ope["policies"]["logging"]["estimates"]["dr"]
    margin = ope["margins_over_baseline"]["learned"]["dr"]
    assert report["verdict"]["publishable"] and report["verdict"]["dr_margin_low"] == margin["ci95"][0] > 0
    assert margin["value"] == pytest.approx(learned_dr["value"] - logging_dr["value"])
    # the logging policy is the uniform one here: the same estimate
    assert ope["policies"]["uniform"]["estimates"]["dr"]["value"] == pytest.approx(logging_dr["value"])
    version = report["learned_version"]
    assert report["published"] == {"uri": URI, "forced": False}
    meta = s3.head_object(Bucket=BUCKET, Key="offers/model.vw")["Metadata"]
    assert meta["policy-version"] == version
    published_report = json.loads(s3.get_object(Bucket=BUCKET, Key="offers/model.vw" + REPORT_SUFFIX)["Body"].read())
    assert published_report["learned_version"] == version

    # Cold start: bootstrap reads the checkpoint at REWARDS_OFFER_MODEL_S3_URI and the policy serves it.
    model = bootstrap.offer_model(RewardsSettings(offer_model_s3_uri=URI), s3)
    assert checkpoint_version(model) == version and version.startswith("offers-vw-") and len(version) == 22
    log = DynamoDecisionLog(ddb, SETTINGS.offer_decisions_table)
    assert BanditOfferPolicy.from_checkpoint(log, model).policy.version == version
    monkeypatch.setenv("REWARDS_OFFER_MODEL_S3_URI", URI)
    rewards_settings.cache_clear()
    bootstrap.service.cache_clear()
    Ledger(ddb, prefix="new").capture("m_shop", "cus_new", 1234, datetime.now(UTC) - timedelta(minutes=1))
    status, body = rewards_call("cus_new", merchant="m_shop")
    assert status == 200 and body["offers"]["policy_version"] == version
    [decision] = log.recent("m_shop", "cus_new", since=datetime.now(UTC) - timedelta(hours=1), limit=5)
    assert decision.policy_version == version and Decimal(str(decision.propensity)) > 0
