"""The offer decision log in DynamoDB on the session's private moto server: what is written reads back the same,
newest first and from `since`, scoped to the merchant, a decision kept once; and the bandit policy over it."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from smartpay_rewards.adapters.decision_log import DynamoDecisionLog
from smartpay_rewards.adapters.offer_policy import UNIFORM_VERSION, BanditOfferPolicy
from smartpay_rewards.offers.catalogue import default_catalogue
from smartpay_rewards.service_layer.decision_log import DecisionRecord
from smartpay_rewards.service_layer.ports import OfferContext

TABLE = "smartpay-rewards-offer-decisions"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
IDS = default_catalogue().ids
K = len(IDS)


@pytest.fixture
def log(aws):
    ddb = aws("dynamodb")
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    return DynamoDecisionLog(ddb, TABLE)


def record(i, *, merchant="m_shop", customer="cus_1", at=NOW, action="2x-fuel-7d"):
    p = [0.1 / (K - 1)] * K
    p[IDS.index(action)] = 0.9
    return DecisionRecord(merchant, customer, f"ofd_{i:04d}", at, "offers-vw-0123456789ab", action, 0.9, IDS,
                          tuple(p), {"recency_days": 1.5, "frequency_30d": 3, "top_category": "none"})


@pytest.mark.integration
def test_a_record_reads_back_exactly(log):
    r = record(1, at=NOW.astimezone(ZoneInfo("Europe/Paris")))
    log.append(r)
    [back] = log.recent("m_shop", "cus_1", since=NOW - timedelta(days=1), limit=10)
    assert back == r and back.probabilities == r.probabilities and back.at == NOW


@pytest.mark.integration
def test_recent_is_newest_first_from_since_limited_and_merchant_scoped(log):
    for i in range(30):
        log.append(record(i, at=NOW - timedelta(days=i)))
    log.append(record(99, merchant="m_other"))
    log.append(record(98, customer="cus_2"))
    got = log.recent("m_shop", "cus_1", since=NOW - timedelta(days=10), limit=100)
    assert [r.decision_id for r in got] == [f"ofd_{i:04d}" for i in range(11)]
    assert [r.decision_id for r in log.recent("m_shop", "cus_1", since=NOW - timedelta(days=90), limit=4)] == \
        ["ofd_0000", "ofd_0001", "ofd_0002", "ofd_0003"]
    other = log.recent("m_other", "cus_1", since=NOW - timedelta(days=1), limit=9)
    assert [r.decision_id for r in other] == ["ofd_0099"]


@pytest.mark.integration
def test_a_decision_written_twice_is_kept_once(log, aws):
    log.append(record(1))
    log.append(record(1))
    assert aws("dynamodb").scan(TableName=TABLE)["Count"] == 1


@pytest.mark.integration
def test_the_policy_over_the_dynamodb_log_logs_once_and_shows_the_standing_decision(log):
    policy = BanditOfferPolicy.from_checkpoint(log, None, seed=9)
    first = policy.choose(OfferContext("m_shop", "cus_1", 10, 0, 10, (), NOW, "dining"))
    again = policy.choose(OfferContext("m_shop", "cus_1", 10, 0, 10, (), NOW + timedelta(hours=1), "dining"))
    assert again == first and first.policy_version == UNIFORM_VERSION
    [stored] = log.recent("m_shop", "cus_1", since=NOW - timedelta(days=1), limit=10)
    dining = default_catalogue().for_category("dining")
    assert stored.propensity == pytest.approx(1 / len(dining)) and stored.policy_version == UNIFORM_VERSION
    assert stored.actions == dining.ids and stored.probabilities == pytest.approx([1 / len(dining)] * len(dining))
    # no category: nothing shown, nothing logged
    assert not policy.choose(OfferContext("m_shop", "cus_2", 10, 0, 10, (), NOW)).configured
    assert log.recent("m_shop", "cus_2", since=NOW - timedelta(days=1), limit=10) == []


class MeetAfterReading(DynamoDecisionLog):
    """The real adapter; each request waits, after reading the customer's decisions, until the other has read
    them too: both find no standing decision and both draw one (the race of two first statements)."""

    def __init__(self, client, table, barrier):
        super().__init__(client, table)
        self.barrier = barrier

    def recent(self, *args, **kwargs):
        found = super().recent(*args, **kwargs)
        self.barrier.wait(timeout=30)
        return found


@pytest.mark.integration
def test_two_first_statements_at_once_show_one_decision_and_log_it_once(log, aws):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(2)
    policies = [BanditOfferPolicy.from_checkpoint(MeetAfterReading(aws("dynamodb"), TABLE, barrier), None, seed=s)
                for s in (1, 2)]
    with ThreadPoolExecutor(2) as pool:
        shown = list(pool.map(lambda p: p.choose(OfferContext("m_shop", "cus_1", 10, 0, 10, (), NOW, "grocery")),
                              policies))
    assert shown[0] == shown[1]
    [logged] = log.recent("m_shop", "cus_1", since=NOW - timedelta(days=1), limit=10)
    if logged.action != "none":
        assert shown[0].offer.attributes["decision_id"] == logged.decision_id
    assert shown[0].propensity == logged.propensity

    # once it has lapsed, the next decision replaces it (the claim's condition names the lapsed one); a
    # request still holding an older standing decision id loses and shows the newer one
    later = NOW + timedelta(days=15)
    fresh = BanditOfferPolicy.from_checkpoint(log, None, seed=3)
    fresh.choose(OfferContext("m_shop", "cus_1", 10, 0, 10, (), later, "grocery"))
    newest = log.recent("m_shop", "cus_1", since=NOW - timedelta(days=1), limit=10)
    assert len(newest) == 2 and newest[0].at == later
    stale = record(99, at=later, action="none")
    assert log.claim(stale, logged.decision_id) == newest[0]
    assert log.claim(stale, None) == newest[0]
    # training's scan reads the decisions, not the claim item's copy
    assert sorted(r.decision_id for r in log.decided_between(NOW - timedelta(days=1), later + timedelta(days=1))) \
        == sorted(r.decision_id for r in newest)
