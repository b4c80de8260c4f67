"""payment.requested in (the Lambda SQS event the worker builds) -> fraud.assessed out on a moto bus;
duplicates don't double count; invalid records fail (-> DLQ) with the reason logged."""

import json
import uuid

import pytest

from smartpay_shared.runtime.lambda_context import LocalLambdaContext

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested
from smartpay_shared.testing import EventListener, to_bus_event

from smartpay_fraud.domain.features import FULL
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.entrypoints import queue_consumer

pytestmark = pytest.mark.integration
BUS = "smartpay-bus"


def envelope(payment_id="pay_QUEUE0001", **overrides):
    fields = dict(payment_id=payment_id, merchant_id="m_acme", amount=1999, currency="EUR",
                  payment_method=PaymentMethod(type="card", token="pm_card_queue", last4="4242"),
                  customer_id="cus_1", device_id="dev_q", ip_address="10.1.1.1", country="DE")
    fields.update(overrides)
    return new_envelope(PaymentRequested.model_construct(**fields) if overrides.get("_raw") else
                        PaymentRequested(**fields), producer=Producer(service="payment", version="0.1.0"),
                        correlation_id=payment_id, trace_header=None)


def record(body):
    return {"messageId": str(uuid.uuid4()), "receiptHandle": "rh", "body": body,
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "x",
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:smartpay-fraud",
            "awsRegion": "us-east-1"}


def run(*records):
    return queue_consumer.lambda_handler({"Records": list(records)}, LocalLambdaContext(function_name="fraud-consumer"))


@pytest.fixture
def bus(aws, service):
    events, sqs = aws("events"), aws("sqs")
    events.create_event_bus(Name=BUS)
    with EventListener(events, sqs, BUS, {"detail-type": ["fraud.assessed"]}) as listener:
        yield listener


def test_payment_requested_becomes_fraud_assessed_on_the_bus(bus, registered):
    incoming = envelope(method_gateways=["stripe"])
    assert run(record(json.dumps(to_bus_event(incoming)))) == {"batchItemFailures": []}
    seen = bus.wait_for(lambda s: len(s) >= 1)
    event = seen[0]
    assert event["source"] == "smartpay.fraud" and event["detail-type"] == "fraud.assessed"
    meta, data = event["detail"]["metadata"], event["detail"]["data"]
    assert meta["correlation_id"] == "pay_QUEUE0001" and meta["causation_id"] == incoming.metadata.event_id
    assert meta["producer"]["service"] == "fraud"
    assert data["merchant_id"] == "m_acme" and data["model_version"] == registered.version
    assert data["decision"] in {"approve", "review", "decline"} and 0 <= data["score"] <= 1
    assert data["payment"] == {"amount": 1999, "currency": "EUR", "method": "card", "country": "DE",
                               "merchant_category": None, "gateways": ["stripe"]}  # routing picks among these
    assert "4242" not in json.dumps(data["reasons"])


def test_duplicate_delivery_counts_once_and_republishes_the_same_event_id(bus, redis_store):
    incoming = envelope("pay_DUP000001")
    body = json.dumps(to_bus_event(incoming))
    run(record(body))
    run(record(body))  # SQS redelivery of the same event
    seen = bus.wait_for(lambda s: len(s) >= 2)
    assert seen[0]["detail"]["metadata"]["event_id"] == seen[1]["detail"]["metadata"]["event_id"]
    assert seen[0]["detail"]["data"]["score"] == seen[1]["detail"]["data"]["score"]
    at = int(incoming.metadata.occurred_at.timestamp() * 1000) + 1
    probe = redis_store.record_and_read(Transaction("probe", at, 1, "EUR", "m_acme", "pm_card_queue"), FULL)
    assert probe["card_count_1h"] == 2  # the payment once + the probe


def test_invalid_records_fail_alone_with_the_reason_logged(bus, caplog):
    good = record(json.dumps(to_bus_event(envelope("pay_GOOD00001"))))
    not_json = record("{broken")
    bad_currency = record(json.dumps(to_bus_event(envelope("pay_BADCUR001", currency="XYZ", _raw=True))))
    absurd = record(json.dumps(to_bus_event(envelope("pay_ABSURD001", amount=10**12))))
    result = run(good, not_json, bad_currency, absurd)
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    assert failed == {not_json["messageId"], bad_currency["messageId"], absurd["messageId"]}
    reasons = " ".join(str(getattr(r, "reason", "")) for r in caplog.records if r.levelname == "ERROR")
    assert "not JSON" in reasons and "ISO 4217" in reasons and "exceeds" in reasons
    assert len(bus.wait_for(lambda s: len(s) >= 1)) == 1


def test_bus_to_queue_to_worker_bad_payment_lands_in_the_dlq(bus, aws, caplog):
    """The whole local path: PutEvents -> rule -> the fraud queue (redrive to a DLQ) -> the platform's SQS
    worker -> this Lambda handler. A good payment is assessed; an unknown currency ends in the DLQ."""
    from smartpay_shared.runtime.publisher import EventPublisher
    from smartpay_shared.runtime.worker import SqsWorker

    events, sqs = aws("events"), aws("sqs")
    dlq = sqs.create_queue(QueueName="smartpay-fraud-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="smartpay-fraud", Attributes={
        "VisibilityTimeout": "1", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                                               "maxReceiveCount": "2"})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="fraud-payment-requested", EventBusName=BUS,
                    EventPattern=json.dumps({"detail-type": ["payment.requested"]}))
    events.put_targets(Rule="fraud-payment-requested", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])

    good, bad = envelope("pay_WORKER0001"), envelope("pay_WORKER0002", currency="XYZ", _raw=True)
    EventPublisher(events, BUS).publish(good, bad)
    worker = SqsWorker(sqs, url, queue_consumer.lambda_handler, function_name="fraud-consumer", region="us-east-1",
                       wait_time_seconds=1)

    def dead():
        return sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", [])

    dead_letters = []
    for _ in range(20):
        worker.poll_once()
        dead_letters = dead()
        if dead_letters:
            break
    assert len(dead_letters) == 1
    assert json.loads(dead_letters[0]["Body"])["detail"]["data"]["payment_id"] == "pay_WORKER0002"
    assessed = bus.wait_for(lambda s: len(s) >= 1)
    assert [e["detail"]["data"]["payment_id"] for e in assessed] == ["pay_WORKER0001"]
    assert any("ISO 4217" in str(getattr(r, "reason", "")) for r in caplog.records)


def test_an_sqs_batch_is_scored_in_one_feature_store_call(bus, service, monkeypatch):
    calls = []
    real = service.store.record_and_read_chunks

    def spy(txns, features):
        calls.append([t.transaction_id for t in txns])
        return real(txns, features)

    monkeypatch.setattr(service.store, "record_and_read_chunks", spy)
    records = [record(json.dumps(to_bus_event(envelope(f"pay_BATCH{i:04d}", amount=1000 + i)))) for i in range(4)]
    bad = record(json.dumps(to_bus_event(envelope("pay_BATCHBAD1", currency="XYZ", _raw=True))))
    result = run(*records[:2], bad, *records[2:])
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [bad["messageId"]]
    assert calls == [[f"m_acme:pay_BATCH{i:04d}" for i in range(4)]]  # one call, in order, the bad one left out
    seen = bus.wait_for(lambda s: len(s) >= 4)
    assert sorted(e["detail"]["data"]["payment_id"] for e in seen) == [f"pay_BATCH{i:04d}" for i in range(4)]


def test_an_unexpected_batch_scoring_error_falls_back_to_record_by_record(bus, monkeypatch, caplog):
    """Not only FraudError: any exception of the batch path (a bug, a wrong-width reply...) must not fail the
    whole SQS batch without batchItemFailures; each record is then scored on its own."""
    def broken(envelopes, service):
        raise ValueError("cannot reshape array of size 22 into shape (1,2)")

    monkeypatch.setattr(queue_consumer, "assess_payments", broken)
    good = [record(json.dumps(to_bus_event(envelope(f"pay_FALLBK{i:03d}")))) for i in range(2)]
    bad = record(json.dumps(to_bus_event(envelope("pay_FALLBKBAD", currency="XYZ", _raw=True))))
    result = run(*good, bad)
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == [bad["messageId"]]
    seen = bus.wait_for(lambda s: len(s) >= 2)
    assert sorted(e["detail"]["data"]["payment_id"] for e in seen) == ["pay_FALLBK000", "pay_FALLBK001"]
    assert any("reshape" in str(getattr(r, "reason", "")) for r in caplog.records)
