"""The chat queue Lambda on a real moto bus and queues, with the embedded index on a real DuckDB file:
payment.completed in -> document indexed -> payment.indexed out; a refund updates it; a stale version
changes nothing; a card number or an invalid payload fails the record into the DLQ with its reason."""

import json
import time
from datetime import timedelta

import duckdb
import pytest

from smartpay_shared.config import platform_settings
from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentCompleted, PaymentRefunded
from smartpay_shared.manifest import load_manifest, services_dir
from smartpay_shared.runtime.publisher import EventPublisher, to_entry
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.runtime.worker import SqsWorker
from smartpay_shared.testing import EventListener

from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.config import chat_settings
from smartpay_chat.entrypoints import queue_consumer
from smartpay_chat.service_layer import handlers
from smartpay_chat.service_layer.handlers import indexed_event_id

pytestmark = pytest.mark.integration
BUS = "smartpay-bus"
PAYMENT = Producer(service="payment", version="0.1.0")


def _clear_caches():
    for cached in (queue_consumer.index, queue_consumer.publisher, chat_settings, platform_settings):
        cached.cache_clear()


@pytest.fixture
def stack(aws, monkeypatch, tmp_path):
    """The chat queue (+ DLQ after 2 receives) with the manifest's rules, a worker calling the real Lambda
    handler, a listener for payment.indexed, and the embedded index in a temp file."""
    monkeypatch.setenv("CHAT_INDEX_BACKEND", "embedded")
    monkeypatch.setenv("CHAT_INDEX_PATH", str(tmp_path / "chat" / "payments.duckdb"))
    _clear_caches()
    events, sqs = aws("events"), aws("sqs")
    events.create_event_bus(Name=BUS)
    dlq = sqs.create_queue(QueueName="smartpay-chat-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="smartpay-chat", Attributes={
        "VisibilityTimeout": "1",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for sub in load_manifest(services_dir() / "chat").subscriptions:
        pattern = {"detail-type": [sub.event_type]}
        if sub.detail_filter:
            pattern["detail"] = sub.detail_filter
        events.put_rule(Name=f"chat-{sub.rule_suffix}", EventBusName=BUS, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=f"chat-{sub.rule_suffix}", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn}])
    worker = SqsWorker(sqs, url, queue_consumer.lambda_handler, function_name="chat", region="us-east-1",
                       wait_time_seconds=1)
    with EventListener(events, sqs, BUS, {"detail-type": ["payment.indexed"]}) as listener:
        yield {"publisher": EventPublisher(events, BUS), "worker": worker, "listener": listener,
               "events": events, "sqs": sqs, "dlq": dlq}
    queue_consumer.index().close()
    _clear_caches()


def completed(snapshot, payment_id, merchant="m_acme"):
    data = PaymentCompleted(payment_id=payment_id, merchant_id=merchant, status=snapshot.status, payment=snapshot)
    return new_envelope(data, producer=PAYMENT, correlation_id=payment_id)


def refunded(snapshot, payment_id):
    data = PaymentRefunded(payment_id=payment_id, merchant_id="m_acme", gateway="stripe", refund_id="re_1",
                           amount=snapshot.refunded_amount, currency=snapshot.currency,
                           total_refunded=snapshot.refunded_amount, reason="customer request", payment=snapshot)
    return new_envelope(data, producer=PAYMENT, correlation_id=payment_id)


def drain(worker, expected, timeout=20.0):
    seen = {"ok": 0, "failed": 0}
    deadline = time.monotonic() + timeout
    while seen["ok"] + seen["failed"] < expected:
        assert time.monotonic() < deadline, f"worker handled {seen} of {expected} messages"
        result = worker.poll_once()
        seen["ok"] += result.succeeded
        seen["failed"] += result.failed
    return seen


def indexed(listener, payment_id, version):
    def match(events):
        return [e for e in events if e["detail"]["data"]["payment_id"] == payment_id
                and e["detail"]["data"]["document_version"] == version]

    listener.wait_for(lambda events: bool(match(events)))
    return match(listener.seen)


def wait_in_dlq(stack, worker_polls=True, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker_polls:
            stack["worker"].poll_once()
        messages = stack["sqs"].receive_message(QueueUrl=stack["dlq"], WaitTimeSeconds=1).get("Messages", [])
        if messages:
            return json.loads(messages[0]["Body"])
    raise AssertionError("the failed record did not reach the DLQ")


def test_completed_then_refund_then_stale_and_duplicate(stack, snapshot, t0):
    publisher, worker, listener = stack["publisher"], stack["worker"], stack["listener"]

    # GIVEN a completed payment  WHEN it is delivered  THEN it is indexed and announced
    first = completed(snapshot(), "pay_MOTO00001")
    publisher.publish(first)
    assert drain(worker, 1) == {"ok": 1, "failed": 0}
    document = queue_consumer.index().get("m_acme", "pay_MOTO00001")
    assert (document.version, document.status, document.amount_minor, str(document.amount)) == (
        7, "captured", 4250, "42.50")
    assert (document.gateway, document.fallbacks, document.card_last4) == ("stripe", 1, "4242")
    assert queue_consumer.index().get("m_other", "pay_MOTO00001") is None
    (announced,) = indexed(listener, "pay_MOTO00001", 7)
    meta = announced["detail"]["metadata"]
    assert announced["source"] == "smartpay.chat"
    assert announced["detail"]["data"] == {"payment_id": "pay_MOTO00001", "merchant_id": "m_acme",
                                           "index": "payments", "document_version": 7}
    assert (meta["causation_id"], meta["correlation_id"], meta["event_id"]) == (
        first.metadata.event_id, "pay_MOTO00001", indexed_event_id("pay_MOTO00001", 7))

    # WHEN a partial refund (version 9) arrives  THEN the document is updated and announced at version 9
    refund = snapshot(version=9, status="partially_refunded", refunded_amount=1250,
                      timeline=[{"state": "REQUESTED", "at": t0},
                                {"state": "PARTIALLY_REFUNDED", "at": t0 + timedelta(hours=3)}])
    publisher.publish(refunded(refund, "pay_MOTO00001"))
    assert drain(worker, 1) == {"ok": 1, "failed": 0}
    indexed(listener, "pay_MOTO00001", 9)
    document = queue_consumer.index().get("m_acme", "pay_MOTO00001")
    assert (document.version, document.status, document.refunded_amount_minor) == (9, "partially_refunded", 1250)
    assert document.steps["partially_refunded"] == t0 + timedelta(hours=3)

    # WHEN an older version (8) arrives late, and version 9 is delivered twice
    publisher.publish(completed(snapshot(version=8, country="FR"), "pay_MOTO00001"))
    publisher.publish(refunded(refund, "pay_MOTO00001"))
    assert drain(worker, 2) == {"ok": 2, "failed": 0}  # neither fails its record
    # THEN version 9 stays, the duplicate re-announces the same event id, and version 8 is never announced
    marker = completed(snapshot(), "pay_MOTO00002")
    publisher.publish(marker)
    assert drain(worker, 1) == {"ok": 1, "failed": 0}
    indexed(listener, "pay_MOTO00002", 7)
    nine = indexed(listener, "pay_MOTO00001", 9)
    assert len(nine) == 2 and {e["detail"]["metadata"]["event_id"] for e in nine} == {
        indexed_event_id("pay_MOTO00001", 9)}
    assert [e for e in listener.seen if e["detail"]["data"]["document_version"] == 8] == []
    document = queue_consumer.index().get("m_acme", "pay_MOTO00001")
    assert (document.version, document.country) == (9, "DE")


def logged(caplog):
    """Everything logged, tracebacks and structured extras included (the Lambda's JSON logs carry both)."""
    return caplog.text + "".join(str(vars(r)) for r in caplog.records)


def test_a_card_number_fails_the_record_into_the_dlq_with_the_reason(stack, snapshot, caplog):
    pan = "4242 4242 4242 4242"
    bad = completed(snapshot(status="declined", captured_amount=0, decline_code="card_declined",
                             decline_reason=f"issuer declined card {pan}",
                             attempts=[{"attempt": 1, "gateway": "stripe", "outcome": "declined",
                                        "code": "card_declined"}]), "pay_MOTOPAN01")
    stack["publisher"].publish(bad)
    assert drain(stack["worker"], 1) == {"ok": 0, "failed": 1}
    dead = wait_in_dlq(stack)
    assert dead["detail"]["metadata"]["event_id"] == bad.metadata.event_id
    assert queue_consumer.index().get("m_acme", "pay_MOTOPAN01") is None
    failures = [r for r in caplog.records if r.getMessage() == "event handler failed"]
    assert failures and failures[0].reason.startswith("CardNumberFound: ")
    assert "'decline_reason'" in failures[0].reason
    text = logged(caplog)
    assert pan not in text and pan.replace(" ", "") not in text


def _publish_with_full_card_number_in_last4(stack, snapshot, payment_id):
    envelope = completed(snapshot(), payment_id)
    entry = to_entry(envelope, BUS)
    detail = json.loads(entry["Detail"])
    detail["data"]["payment"]["card_last4"] = "4242424242424242"
    entry["Detail"] = json.dumps(detail)
    assert stack["events"].put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_an_invalid_payload_fails_into_the_dlq_with_the_reason(stack, snapshot, caplog):
    # A full card number where only the last four digits may go: the schema refuses it before any handler.
    _publish_with_full_card_number_in_last4(stack, snapshot, "pay_MOTOBAD01")
    assert drain(stack["worker"], 1) == {"ok": 0, "failed": 1}
    assert wait_in_dlq(stack)["detail"]["data"]["payment_id"] == "pay_MOTOBAD01"
    invalid = [r for r in caplog.records if r.getMessage() == "invalid event"]
    assert invalid and invalid[0].reason == ("invalid payment.completed data: payment.card_last4: "
                                             "String should match pattern '^\\d{4}$'")
    assert "4242424242424242" not in invalid[0].reason
    assert queue_consumer.index().get("m_acme", "pay_MOTOBAD01") is None


def test_no_log_line_carries_a_rejected_card_number(stack, snapshot, caplog):
    _publish_with_full_card_number_in_last4(stack, snapshot, "pay_MOTOBAD02")
    assert drain(stack["worker"], 1) == {"ok": 0, "failed": 1}
    assert "4242424242424242" not in logged(caplog)


def _sqs_event(envelopes):
    """An SQS batch as the event source mapping hands it to the Lambda, in this order (bodies as the bus
    delivers them)."""
    records = []
    for i, envelope in enumerate(envelopes):
        detail = json.loads(to_entry(envelope, BUS)["Detail"])
        body = {"version": "0", "id": f"ev-{i}", "detail-type": envelope.event_type, "source": "smartpay.payment",
                "account": "123456789012", "time": "2026-12-06T00:00:00Z", "region": "us-east-1",
                "resources": [], "detail": detail}
        records.append({"messageId": f"msg-{i}", "receiptHandle": f"rh-{i}", "body": json.dumps(body),
                        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                        "md5OfBody": "", "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:smartpay-chat", "awsRegion": "us-east-1"})
    return {"Records": records}


def test_one_batch_with_duplicates_out_of_order_and_two_merchants(stack, snapshot, monkeypatch):
    """One SQS batch, written at once: v9, a late v8, v9 again, and the same payment id under another merchant.
    9 wins for m_acme, m_other keeps its own row; payment.indexed goes out for v9 twice (same event id) and for
    m_other's, never for the stale v8; a refused record (an inconsistent refund) fails alone, as before."""
    calls = []
    real = DuckDBPaymentIndex.upsert_batch
    monkeypatch.setattr(DuckDBPaymentIndex, "upsert_batch", lambda self, docs, **kw: calls.append(len(docs)) or
                        real(self, docs, **kw))
    nine = snapshot(version=9, status="partially_refunded", refunded_amount=1000)
    ten = snapshot(version=10, status="refunded", refunded_amount=4250)
    bad_refund = new_envelope(PaymentRefunded(  # total_refunded differs from the snapshot's: InvalidPayment
        payment_id="pay_MOTOBATCH1", merchant_id="m_acme", gateway="stripe", refund_id="re_2", amount=3250,
        currency="EUR", total_refunded=1, reason="customer request", payment=ten),
        producer=PAYMENT, correlation_id="pay_MOTOBATCH1")
    batch = [refunded(nine, "pay_MOTOBATCH1"), completed(snapshot(version=8, country="FR"), "pay_MOTOBATCH1"),
             refunded(nine, "pay_MOTOBATCH1"), completed(snapshot(version=3, country="JP"), "pay_MOTOBATCH1",
                                                         merchant="m_other"),
             bad_refund]
    response = queue_consumer.lambda_handler(_sqs_event(batch), LocalLambdaContext("chat"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-4"}]}
    assert calls == [4]  # the four readable records in one write; nothing written one by one
    index = queue_consumer.index()
    assert (index.get("m_acme", "pay_MOTOBATCH1").version, index.get("m_acme", "pay_MOTOBATCH1").country) == (9, "DE")
    assert (index.get("m_other", "pay_MOTOBATCH1").version, index.get("m_other", "pay_MOTOBATCH1").country) == (
        3, "JP")
    stack["listener"].wait_for(lambda events: len([e for e in events if e["detail"]["data"]["document_version"]
                                                   == 9]) >= 2)
    indexed(stack["listener"], "pay_MOTOBATCH1", 3)
    other = [e for e in stack["listener"].seen if e["detail"]["data"]["merchant_id"] == "m_other"]
    assert [e["detail"]["data"]["document_version"] for e in other] == [3]
    nine_events = [e for e in stack["listener"].seen if e["detail"]["data"]["document_version"] == 9]
    assert len(nine_events) == 2 and {e["detail"]["metadata"]["event_id"] for e in nine_events} == {
        indexed_event_id("pay_MOTOBATCH1", 9)}
    assert [e for e in stack["listener"].seen if e["detail"]["data"]["document_version"] in (8, 10)] == []


def test_each_records_document_is_built_once(stack, snapshot, monkeypatch):
    """The batch write builds each record's document (the card-number guard included); the record's handler then
    takes it from the staged batch instead of building it again."""
    built = []
    real = handlers.document_for
    monkeypatch.setattr(handlers, "document_for", lambda envelope: built.append(envelope.metadata.event_id) or
                        real(envelope))
    batch = [completed(snapshot(), "pay_MOTOONCE01"), completed(snapshot(), "pay_MOTOONCE02")]
    response = queue_consumer.lambda_handler(_sqs_event(batch), LocalLambdaContext("chat"))
    assert response == {"batchItemFailures": []}
    assert sorted(built) == sorted(e.metadata.event_id for e in batch)
    for payment_id in ("pay_MOTOONCE01", "pay_MOTOONCE02"):
        assert queue_consumer.index().get("m_acme", payment_id).version == 7
        indexed(stack["listener"], payment_id, 7)


def test_a_failed_batch_write_falls_back_to_one_write_per_record(stack, snapshot, monkeypatch, caplog):
    """If the batch's write fails it wrote nothing, and each record is written on its own, as before."""
    def broken(self, docs):
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(SharedFileDuckDBIndex, "upsert_batch", broken)  # the worker's index (per_call mode)
    response = queue_consumer.lambda_handler(_sqs_event([completed(snapshot(), "pay_MOTOFALL01"),
                                                         completed(snapshot(), "pay_MOTOFALL02")]),
                                             LocalLambdaContext("chat"))
    assert response == {"batchItemFailures": []}
    assert any(r.getMessage() == "batch write failed: records write one by one" for r in caplog.records)
    for payment_id in ("pay_MOTOFALL01", "pay_MOTOFALL02"):
        assert queue_consumer.index().get("m_acme", payment_id).version == 7
        indexed(stack["listener"], payment_id, 7)

