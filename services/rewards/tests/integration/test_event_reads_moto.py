"""An event's reads on DynamoDB (moto server): the marker, the payment record, the account and the merchant's
category in one BatchGetItem, the same as reading them one by one (the port's default), with DynamoDB's
unprocessed keys asked again a bounded number of times."""

from datetime import UTC, datetime

import pytest
import requests

from smartpay_rewards.adapters import dynamodb
from smartpay_rewards.adapters.dynamodb import DynamoUnitOfWork, UnprocessedReads
from smartpay_rewards.domain.model import Capture, Refund
from smartpay_rewards.domain.points import EarnRates
from smartpay_rewards.service_layer import ledger
from smartpay_rewards.service_layer.ports import AbstractUnitOfWork
from smartpay_rewards.testing import create_tables

pytestmark = pytest.mark.integration
LEDGER, ACCOUNTS = "smartpay-rewards-ledger", "smartpay-rewards-accounts"
AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def capture(payment: str, customer: str | None = "cus_1", event: str = "evt-c", amount: int = 2500) -> Capture:
    return Capture("m_acme", customer, payment, event, "USD", amount, AT)


def refund(payment: str, customer: str, event: str = "evt-r") -> Refund:
    return Refund("m_acme", customer, payment, event, "re_1", "USD", 500, 500, AT)


def counts(moto_server) -> dict[str, int]:
    stats = requests.get(moto_server.url + "/_smartpay/requests", timeout=5).json()
    return {k: v["n"] for k, v in stats.items() if k.startswith("DynamoDB.")}


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}


@pytest.fixture
def ddb(aws):
    client = aws("dynamodb")
    create_tables(client)
    return client


def test_a_capture_reads_in_one_batch_and_a_redelivery_writes_nothing(ddb, moto_server):
    uow = lambda: DynamoUnitOfWork(ddb, LEDGER, ACCOUNTS)  # noqa: E731
    ddb.put_item(TableName=ACCOUNTS, Item={"pk": {"S": "m_acme#merchant"}, "sk": {"S": "category"},
                                           "category": {"S": "grocery"}})
    before = counts(moto_server)
    change = ledger.apply_captured(capture("pay_1"), uow, EarnRates("1"))
    assert change is not None and change.account.balance == 25 and change.payment.category == "grocery"
    assert delta(counts(moto_server), before) == {"DynamoDB.BatchGetItem": 1, "DynamoDB.TransactWriteItems": 1}
    before = counts(moto_server)
    assert ledger.apply_captured(capture("pay_1"), uow, EarnRates("1")) is None  # applied before
    assert delta(counts(moto_server), before) == {"DynamoDB.BatchGetItem": 1}
    before = counts(moto_server)
    assert ledger.apply_refunded(refund("pay_1", "cus_1"), uow).account.balance == 20
    assert delta(counts(moto_server), before) == {"DynamoDB.BatchGetItem": 1, "DynamoDB.TransactWriteItems": 1}


def test_batched_reads_are_what_reading_one_by_one_gives(ddb):
    uow = DynamoUnitOfWork(ddb, LEDGER, ACCOUNTS)
    factory = lambda: uow  # noqa: E731
    ledger.apply_captured(capture("pay_1"), factory, EarnRates("1"))
    ledger.apply_captured(capture("pay_2", customer="cus_2", event="evt-2"), factory, EarnRates("1"))
    ledger.apply_refunded(refund("pay_3", "cus_3"), factory)  # a refund before its capture: a record, no entry
    ddb.put_item(TableName=ACCOUNTS, Item={"pk": {"S": "m_acme#merchant"}, "sk": {"S": "category"},
                                           "category": {"S": "travel"}})
    asked = [
        ("pay_1", "evt-c", "cus_1", True),    # applied, record and account
        ("pay_1", "evt-new", "cus_1", False),  # not applied, category not asked
        ("pay_1", "evt-new", "cus_9", True),   # the record names another customer: its account
        ("pay_1", "evt-new", None, True),      # the event names none: the record's
        ("pay_3", "evt-x", "cus_3", True),     # a record with no capture, an account with no entry
        ("pay_4", "evt-x", "cus_new", True),   # nothing stored
        ("pay_4", "evt-x", None, True),        # nothing stored, no customer: no account
    ]
    for payment, event, customer, category in asked:
        batched = uow.event_reads("m_acme", payment, event, customer, category=category)
        one_by_one = AbstractUnitOfWork.event_reads(uow, "m_acme", payment, event, customer, category=category)
        assert batched == one_by_one, (payment, event, customer)
    assert uow.event_reads("m_acme", "pay_1", "evt-c", "cus_9", category=True).account.customer_id == "cus_1"
    assert uow.event_reads("m_acme", "pay_4", "evt-x", None, category=True).account is None


class Unprocessing:
    """The real client on moto, except that its BatchGetItem answers leave keys unprocessed, as DynamoDB does
    under throttling or past 16 MB (moto itself does only past 16 MB): on each of the first `times` calls, moto
    is asked for the first key only and the others are handed back unprocessed (a last key: not answered)."""

    def __init__(self, client, times: int):
        self.client, self.times, self.calls = client, times, []

    def __getattr__(self, name):
        return getattr(self.client, name)

    def batch_get_item(self, RequestItems):  # noqa: N803 - boto3's parameter name
        ((table, asked),) = RequestItems.items()
        self.calls.append(len(asked["Keys"]))
        if len(self.calls) > self.times:
            return self.client.batch_get_item(RequestItems=RequestItems)
        if len(asked["Keys"]) == 1:  # none answered
            return {"Responses": {table: []}, "UnprocessedKeys": RequestItems}
        answer = self.client.batch_get_item(RequestItems={table: {**asked, "Keys": asked["Keys"][:1]}})
        answer["UnprocessedKeys"] = {table: {**asked, "Keys": asked["Keys"][1:]}}
        return answer


def test_unprocessed_keys_are_asked_again_and_a_store_that_never_answers_fails_the_event(ddb, monkeypatch):
    monkeypatch.setattr(dynamodb, "BATCH_GET_BACKOFF", 0.001)
    ledger.apply_captured(capture("pay_1"), lambda: DynamoUnitOfWork(ddb, LEDGER, ACCOUNTS), EarnRates("1"))
    expected = DynamoUnitOfWork(ddb, LEDGER, ACCOUNTS).event_reads("m_acme", "pay_1", "evt-c", "cus_1", category=True)
    assert expected.applied and expected.account.balance == 25

    slow = Unprocessing(ddb, times=2)
    got = DynamoUnitOfWork(slow, LEDGER, ACCOUNTS).event_reads("m_acme", "pay_1", "evt-c", "cus_1", category=True)
    assert got == expected and slow.calls == [4, 3, 2]  # one key answered per throttled call, the rest at once

    stuck = Unprocessing(ddb, times=100)
    with pytest.raises(UnprocessedReads, match="after 5 BatchGetItem requests"):
        DynamoUnitOfWork(stuck, LEDGER, ACCOUNTS).event_reads("m_acme", "pay_1", "evt-c", "cus_1", category=True)
    assert len(stuck.calls) == dynamodb.BATCH_GET_ATTEMPTS
