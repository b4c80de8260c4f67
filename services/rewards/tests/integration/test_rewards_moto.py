"""The consumer, the API and the CLI on a private moto server: points earned once per event and payment,
proportional clawback, debt, merchant scoping, the DLQ for events the ledger can never apply, concurrent
consumers on one customer."""

import json
import threading
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from smartpay_shared.cli.main import app as smartpay_cli
from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Producer, new_envelope

from smartpay_rewards import bootstrap
from smartpay_rewards.config import rewards_settings
from smartpay_rewards.domain import ledger as rules
from smartpay_rewards.testing import rewards_call

pytestmark = pytest.mark.integration
PAYMENT = Producer(service="payment", version="0.1.0")
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def captured(amount=2500, payment_id="pay_abcdefgh01", merchant="m_acme", customer="cus_1", currency="USD",
             event_id=None):
    data = p.PaymentCaptured(payment_id=payment_id, merchant_id=merchant, attempt=1, gateway="stripe",
                             gateway_reference="pi_1", currency=currency, amount=amount, customer_id=customer)
    return new_envelope(data, producer=PAYMENT, correlation_id=payment_id, event_id=event_id)


def refunded(amount, total, captured_amount=2500, payment_id="pay_abcdefgh01", merchant="m_acme", customer="cus_1",
             refund_id="re_1"):
    snapshot = p.PaymentSnapshot(version=3, status="partially_refunded" if total < captured_amount else "refunded",
                                 currency="USD", amount=captured_amount, method="card", customer_id=customer,
                                 captured_amount=captured_amount, refunded_amount=total, created_at=NOW)
    data = p.PaymentRefunded(payment_id=payment_id, merchant_id=merchant, gateway="stripe", refund_id=refund_id,
                             currency="USD", amount=amount, total_refunded=total, reason="requested_by_customer",
                             payment=snapshot)
    return new_envelope(data, producer=PAYMENT, correlation_id=payment_id)


def dead_letters(wired) -> list[dict]:
    # A failed record is visible again at once (visibility 0 after the failure); its next receive redrives it.
    wired["sqs"].receive_message(QueueUrl=wired["queue"], WaitTimeSeconds=1)
    got = wired["sqs"].receive_message(QueueUrl=wired["dlq"], MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [m["Body"] for m in got.get("Messages", [])]


def set_category(merchant: str, category: str) -> None:
    """The operator's CLI."""
    done = CliRunner().invoke(smartpay_cli, ["rewards", "merchant-category", "--merchant", merchant, "--set", category])
    assert done.exit_code == 0, done.output


def decision_items(wired) -> list[dict]:
    """The logged decisions (not the per-customer `#standing` claim item)."""
    items = wired["ddb"].scan(TableName="smartpay-rewards-offer-decisions")["Items"]
    return [i for i in items if i["sk"]["S"] != "#standing"]


def ledger_items(wired) -> list[dict]:
    return wired["ddb"].scan(TableName="smartpay-rewards-ledger")["Items"]


def test_capture_earns_once_and_the_api_shows_it_to_its_merchant_only(consume, wired):
    event = captured(2599)
    assert consume(event, event)["batchItemFailures"] == []     # the same event twice in one batch
    assert consume(event)["batchItemFailures"] == []            # and redelivered later
    assert consume(captured(2599, event_id="evt-other-id"))["batchItemFailures"] == []  # same payment, new id
    status, body = rewards_call("cus_1")
    assert status == 200 and body["balance"] == 25 and body["debt"] == 0 and body["totals"]["earned"] == 25
    assert [(e["kind"], e["points"], e["payment_id"]) for e in body["history"]] == [("earn", 25, "pay_abcdefgh01")]
    assert len(ledger_items(wired)) == 1
    # m_acme has no offer category yet: no offer is shown (no offer could pay there) and nothing is logged.
    assert body["offers"]["status"] == "not_configured" and body["offers"]["active"] == []
    assert "no offer category" in body["offers"]["detail"]
    assert wired["ddb"].scan(TableName="smartpay-rewards-offer-decisions")["Items"] == []  # nor claimed
    # Once the operator sets one, the uniform logging policy picks one of its 5 actions ("no offer" and the 4
    # grocery offers) and logs them with their probabilities; a reload shows the same.
    set_category("m_acme", "grocery")
    offers = rewards_call("cus_1")[1]["offers"]
    assert offers["status"] == "ok" and offers["policy_version"] == "uniform-v1"
    assert abs(offers["propensity"] - 1 / 5) < 1e-9 and len(offers["active"]) <= 1
    assert all(a["attributes"]["category"] == "grocery" for a in offers["active"])
    logged = decision_items(wired)
    assert [i["pk"]["S"] for i in logged] == ["m_acme#cus_1"]
    assert [a["S"] for a in logged[0]["actions"]["L"]] == ["none", "2x-grocery-7d", "2x-grocery-14d",
                                                          "3x-grocery-7d", "3x-grocery-14d"]
    assert rewards_call("cus_1")[1]["offers"] == offers
    assert len(decision_items(wired)) == 1
    status, problem = rewards_call("cus_1", merchant="m_other")
    assert status == 404 and problem["status"] == 404 and "cus_1" in problem["detail"]
    assert rewards_call("cus_unknown")[0] == 404


def test_partial_refunds_claw_back_proportionally_and_cumulatively(consume):
    consume(captured(1000, customer="cus_2"))                                   # 10 points
    consume(refunded(333, 333, 1000, customer="cus_2", refund_id="re_a"))        # floor(10 x 333/1000) = 3
    consume(refunded(333, 666, 1000, customer="cus_2", refund_id="re_b"))        # floor(6.66) - 3 = 3
    late_duplicate = refunded(333, 333, 1000, customer="cus_2", refund_id="re_a")  # an older total, new event id
    consume(late_duplicate)
    status, body = rewards_call("cus_2")
    assert status == 200 and body["balance"] == 4 and body["totals"]["clawed_back"] == 6
    assert [(e["kind"], e["points"]) for e in body["history"]] == [("clawback", -3), ("clawback", -3), ("earn", 10)]
    assert [e["reference"] for e in body["history"][:2]] == ["re_b", "re_a"]


def test_a_refund_beyond_the_balance_is_debt_that_later_earnings_repay(consume, wired):
    consume(captured(1000, customer="cus_3"))                                   # 10
    rewards = bootstrap.service()
    with rewards.uow() as uow:                                                  # 8 redeemed meanwhile
        uow.stage(rules.redeem(uow.account("m_acme", "cus_3"), 8, "rdm_1", NOW))
        uow.commit()
    consume(refunded(1000, 1000, 1000, customer="cus_3"))
    body = rewards_call("cus_3")[1]
    assert (body["balance"], body["debt"]) == (0, 8)
    assert [(e["kind"], e["points"], e["debt_change"]) for e in body["history"][:2]] == [("debt", 0, 8),
                                                                                      ("clawback", -2, 0)]
    consume(captured(1500, payment_id="pay_abcdefgh02", customer="cus_3"))       # 15: 8 repay the debt
    body = rewards_call("cus_3")[1]
    assert (body["balance"], body["debt"]) == (7, 0)
    assert [(e["kind"], e["points"], e["debt_change"]) for e in body["history"][:2]] == [
        ("debt_repayment", -8, -8), ("earn", 15, 0)]


def test_history_pages_newest_first(consume):
    for i in range(5):
        consume(captured(100 * (i + 1), payment_id=f"pay_abcdefgh1{i}", customer="cus_4"))
    status, page = rewards_call("cus_4", query={"limit": "2"})
    assert status == 200 and [e["seq"] for e in page["history"]] == [5, 4] and page["next_before"] == 4
    rest = rewards_call("cus_4", query={"limit": "10", "before": str(page["next_before"])})[1]
    assert [e["seq"] for e in rest["history"]] == [3, 2, 1] and rest["next_before"] is None
    status, problem = rewards_call("cus_4", query={"limit": "0"})
    assert status == 422 and problem["errors"][0]["loc"][-1] == "limit"


def test_events_the_ledger_cannot_apply_go_to_the_dlq_with_nothing_written(consume, wired):
    consume(captured(1000, customer="cus_5"))
    before = len(ledger_items(wired))
    old_producer = captured(1000, payment_id="pay_abcdefgh77", customer=None)     # schema 1.0: no customer
    other_customer = refunded(100, 100, 1000, customer="cus_somebody_else")       # not the payment's customer
    failed_type = new_envelope(p.PaymentFailed(payment_id="pay_abcdefgh01", merchant_id="m_acme", attempt=1,
                                               code="x", reason="y", retriable=False),
                               producer=PAYMENT, correlation_id="pay_abcdefgh01")
    good = captured(500, payment_id="pay_abcdefgh78", customer="cus_5")        # the batch's other records go on
    result = consume(old_producer, other_customer, failed_type, "not json", good)
    assert len(result["batchItemFailures"]) == 4
    assert len(ledger_items(wired)) == before + 1
    dead = dead_letters(wired)
    assert len(dead) == 4 and "not json" in dead
    assert {json.loads(b)["detail"]["metadata"]["event_id"] for b in dead if b != "not json"} == {
        e.metadata.event_id for e in (old_producer, other_customer, failed_type)}
    assert rewards_call("cus_5")[1]["balance"] == 15


def test_concurrent_consumers_on_one_customer_lose_nothing(consume, wired):
    from smartpay_rewards.domain.events import capture_of
    from smartpay_rewards.service_layer import ledger

    rewards = bootstrap.service()
    events = [captured(100 * (i + 1), payment_id=f"pay_abcdefgh2{i}", customer="cus_6") for i in range(8)]
    errors = []

    def run(envelope):
        try:
            ledger.apply_captured(capture_of(envelope.data, envelope.metadata.event_id, NOW), rewards.uow,
                                  rewards.rates)
        except Exception as e:  # noqa: BLE001 - collected and asserted on
            errors.append(e)

    threads = [threading.Thread(target=run, args=(e,)) for e in events + events]  # every event twice, at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    body = rewards_call("cus_6", query={"limit": "100"})[1]
    assert body["balance"] == sum(range(1, 9)) and len(body["history"]) == 8, errors
    assert sorted(e["seq"] for e in body["history"]) == list(range(1, 9))


def test_rates_per_merchant_and_the_cli(consume):
    consume(captured(1000, merchant="m_gold", customer="cus_7"))                 # rate 3 for m_gold
    runner = CliRunner()
    shown = runner.invoke(smartpay_cli, ["rewards", "balance", "cus_7", "--merchant", "m_gold", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["balance"] == 30
    table = runner.invoke(smartpay_cli, ["rewards", "history", "cus_7", "--merchant", "m_gold"])
    assert table.exit_code == 0 and "earn" in table.output and "+30" in table.output
    missing = runner.invoke(smartpay_cli, ["rewards", "balance", "cus_7", "--merchant", "m_acme"])
    assert missing.exit_code == 1 and "no rewards" in missing.output


def test_the_offer_model_is_read_from_s3_at_cold_start_and_a_missing_one_fails_loudly(aws, wired, consume,
                                                                                       monkeypatch):
    """REWARDS_OFFER_MODEL_S3_URI names a VW checkpoint: the API serves it (its version is the bytes' hash) and
    logs its decisions; a URI whose object is missing stops the API's first statement instead of serving the
    uniform policy, and does not touch the worker."""
    from smartpay_rewards.adapters.offer_policy import checkpoint_version
    from smartpay_rewards.offers.catalogue import default_catalogue
    from smartpay_rewards.offers.policy import VowpalOfferPolicy

    s3 = aws("s3")
    s3.create_bucket(Bucket="offers-models")
    model = VowpalOfferPolicy(default_catalogue(), seed=1).checkpoint_now()
    s3.put_object(Bucket="offers-models", Key="offers/v1.vw", Body=model)
    monkeypatch.setenv("REWARDS_OFFER_MODEL_S3_URI", "s3://offers-models/offers/v1.vw")
    rewards_settings.cache_clear()
    bootstrap.service.cache_clear()
    consume(captured(1200, customer="cus_vw"))
    set_category("m_acme", "fuel")
    status, body = rewards_call("cus_vw")
    assert status == 200 and body["offers"]["policy_version"] == checkpoint_version(model)
    (item,) = decision_items(wired)
    assert item["policy_version"]["S"] == checkpoint_version(model)

    monkeypatch.setenv("REWARDS_OFFER_MODEL_S3_URI", "s3://offers-models/offers/missing.vw")
    rewards_settings.cache_clear()
    bootstrap.service.cache_clear()
    # The worker never reads the checkpoint (IAM lets only the API read it): its events still apply.
    assert consume(captured(1500, payment_id="pay_abcdefgh02", customer="cus_vw"))["batchItemFailures"] == []
    with pytest.raises(Exception, match="NoSuchKey|does not exist"):
        bootstrap.build(rewards_settings(), dynamodb=wired["ddb"], s3=s3).offer_policy


def test_the_offer_shown_is_paid_at_a_merchant_of_its_category_and_clawed_back_with_its_refunds(consume, wired):
    """The operator sets the merchant's category (the CLI); the API shows the customer the offer the decision log
    holds; the worker pays its bonus on a capture inside it, once; refunds take back base and bonus alike."""
    from datetime import timedelta

    from smartpay_rewards.adapters.decision_log import DynamoDecisionLog
    from smartpay_rewards.offers.catalogue import default_catalogue
    from smartpay_rewards.service_layer.decision_log import DecisionRecord

    runner = CliRunner()
    category = runner.invoke(smartpay_cli, ["rewards", "merchant-category", "--merchant", "m_acme", "--set",
                                            "grocery", "--json"])
    assert category.exit_code == 0 and json.loads(category.stdout) == {"merchant_id": "m_acme", "category": "grocery"}
    refused = runner.invoke(smartpay_cli, ["rewards", "merchant-category", "--merchant", "m_acme", "--set", "gro"])
    assert refused.exit_code == 2 and "unknown category" in refused.output
    ids = default_catalogue().ids
    log = DynamoDecisionLog(wired["ddb"], "smartpay-rewards-offer-decisions")
    for merchant in ("m_acme", "m_other"):  # m_other's customer was shown the same offer; m_other has no category
        log.append(DecisionRecord(merchant, "cus_9", f"ofd_{merchant}", datetime.now(UTC) - timedelta(hours=1),
                                  "uniform-v1", "3x-grocery-7d", 1 / len(ids), ids, (1 / len(ids),) * len(ids), {}))
    event = captured(2599, payment_id="pay_offer00001", customer="cus_9")
    assert consume(event, event, captured(2599, payment_id="pay_offer00001", customer="cus_9",
                                          event_id="evt-again"))["batchItemFailures"] == []
    consume(captured(2599, payment_id="pay_offer00002", merchant="m_other", customer="cus_9"))
    status, body = rewards_call("cus_9")
    assert status == 200 and [a["offer_id"] for a in body["offers"]["active"]] == ["3x-grocery-7d"]
    # 25.99 x 3 = 77.97 -> 77 points: 25 base + 52 bonus, once
    assert [(e["kind"], e["points"]) for e in body["history"]] == [("offer_bonus", 52), ("earn", 25)]
    assert body["history"][0]["reference"] == "ofd_m_acme" and body["balance"] == body["totals"]["earned"] == 77
    at_other = rewards_call("cus_9", merchant="m_other")[1]
    assert at_other["balance"] == 25 and at_other["offers"]["status"] == "not_configured"  # no category there
    consume(refunded(1300, 1300, 2599, payment_id="pay_offer00001", customer="cus_9", refund_id="re_o1"))
    consume(refunded(1299, 2599, 2599, payment_id="pay_offer00001", customer="cus_9", refund_id="re_o2"))
    body = rewards_call("cus_9")[1]
    # floor(77 x 1300 / 2599) = 38, then the rest: all 77 back
    assert [(e["kind"], e["points"]) for e in body["history"][:2]] == [("clawback", -39), ("clawback", -38)]
    assert body["balance"] == 0 and body["totals"]["clawed_back"] == 77
