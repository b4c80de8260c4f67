"""Fraud labels through the event path, on a private moto server and a private Redis: `payment.disputed` (as the
payment service publishes it) and `fraud.reported` (published by POST /fraud/reports) go PutEvents -> rule -> the
fraud queue (redrive to a DLQ) -> the platform's SQS worker -> the fraud Lambda handler -> the label store.

No leak from the future: two merchants see the same payments; only merchant A's payments get labels, and A's label
events are handled *before* a payment whose time is earlier than the labels' known_at. That payment's features and
score equal B's; A's payments from known_at on read the labels."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentDisputed, PaymentMethod, PaymentRequested
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.runtime.publisher import EventPublisher
from smartpay_shared.runtime.worker import SqsWorker
from smartpay_shared.testing import EventListener, merchant_claims

from smartpay_fraud.entrypoints import api, queue_consumer
from smartpay_fraud.service_layer.handlers import to_transaction

pytestmark = pytest.mark.integration
BUS = "smartpay-bus"
PAYMENT = Producer(service="payment", version="0.1.0")
# 20 days ago, 10:00 UTC: the labels' known_at (a week later) is in the past, as POST /fraud/reports requires
T0 = (datetime.now(UTC) - timedelta(days=20)).replace(hour=10, minute=0, second=0, microsecond=0)


def requested(merchant, name, at, card="pm_card_a"):
    data = PaymentRequested(payment_id=f"pay_{merchant[-1]}{name}0000000", merchant_id=merchant, amount=2500,
                            currency="EUR", payment_method=PaymentMethod(type="card", token=card),
                            customer_id="cus_1", device_id="dev_1", ip_address="10.9.9.9", country="DE")
    return new_envelope(data, producer=PAYMENT, correlation_id=data.payment_id, occurred_at=at)


def disputed(payment, known_at, reason="fraudulent"):
    data = PaymentDisputed(payment_id=payment.data.payment_id, merchant_id=payment.data.merchant_id,
                           dispute_id="dsp_" + payment.data.payment_id[4:], currency="EUR", amount=2500,
                           reason=reason, known_at=known_at, gateway="stripe")
    return new_envelope(data, producer=PAYMENT, correlation_id=data.payment_id)


def report_call(body, merchant):
    claims = {"sub": "u-1", "token_use": "id", **merchant_claims(merchant)}
    request = {
        "resource": "/fraud/reports", "path": "/fraud/reports", "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None, "isBase64Encoded": False, "body": json.dumps(body),
        "requestContext": {"resourcePath": "/fraud/reports", "httpMethod": "POST", "stage": "local",
                           "requestId": "r-1", "accountId": "123456789012", "apiId": "api",
                           "path": "/local/fraud/reports", "identity": {"sourceIp": "127.0.0.1"},
                           "authorizer": {"claims": claims}}}
    response = api.lambda_handler(request, LocalLambdaContext(function_name="fraud-api"))
    return response["statusCode"], json.loads(response["body"])


class Pipeline:
    """The deployed shape: a rule per subscribed type -> the fraud queue (maxReceiveCount 2 -> DLQ) -> SqsWorker."""

    def __init__(self, aws):
        self.events, self.sqs = aws("events"), aws("sqs")
        self.events.create_event_bus(Name=BUS)
        self.dlq = self.sqs.create_queue(QueueName="smartpay-fraud-dlq")["QueueUrl"]
        dlq_arn = self._arn(self.dlq)
        self.url = self.sqs.create_queue(QueueName="smartpay-fraud", Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
        self.events.put_rule(Name="fraud-in", EventBusName=BUS, EventPattern=json.dumps(
            {"detail-type": ["payment.requested", "payment.disputed", "fraud.reported"]}))
        self.events.put_targets(Rule="fraud-in", EventBusName=BUS, Targets=[{"Id": "q", "Arn": self._arn(self.url)}])
        self.worker = SqsWorker(self.sqs, self.url, queue_consumer.lambda_handler, function_name="fraud-consumer",
                                region="us-east-1", wait_time_seconds=1)
        self.publisher = EventPublisher(self.events, BUS)

    def _arn(self, url):
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def drain(self, until, polls=30):
        for _ in range(polls):
            self.worker.poll_once()
            if until():
                return
        raise AssertionError("the fraud queue did not get there")

    def dead_letters(self):
        return self.sqs.receive_message(QueueUrl=self.dlq, WaitTimeSeconds=0).get("Messages", [])


@pytest.fixture
def pipeline(aws, service):
    p = Pipeline(aws)
    with EventListener(p.events, p.sqs, BUS, {"detail-type": ["fraud.assessed", "fraud.reported"]}) as listener:
        p.listener = listener
        yield p


def scores(pipeline, count):
    """Run the worker until `count` fraud.assessed are on the bus: payment id -> score."""
    def enough(s):
        return sum(e["detail-type"] == "fraud.assessed" for e in s) >= count

    for _ in range(30):
        pipeline.worker.poll_once()
        try:
            seen = pipeline.listener.wait_for(enough, timeout=0.5)
            break
        except TimeoutError:
            continue
    else:
        raise AssertionError(f"fewer than {count} payments were assessed")
    return {e["detail"]["data"]["payment_id"]: e["detail"]["data"]["score"] for e in seen
            if e["detail-type"] == "fraud.assessed"}


def test_labels_from_events_count_only_from_known_at_on(pipeline, service, redis_store, caplog):
    features = service.model.online_features
    names = [f.name for f in features.velocity]
    assert {"merchant_fraud_count_1d_lag7d", "card_fraud_count_1d_lag7d"} <= set(names)
    a, b = "m_labels_a", "m_labels_b"
    day7 = T0 + timedelta(days=7)
    first = {m: [requested(m, "P0", T0 - timedelta(minutes=30), card="pm_card_b"), requested(m, "P1", T0)]
             for m in (a, b)}
    pipeline.publisher.publish(*first[a], *first[b])
    scores(pipeline, 4)

    # A's labels, each known on day 7 after 11:00; handled before the day-7 payments below are scored.
    dispute_known, report_known = day7 + timedelta(hours=2), day7 + timedelta(hours=2, minutes=30)
    pipeline.publisher.publish(disputed(first[a][1], dispute_known),
                               disputed(first[a][0], dispute_known, reason="product_not_received"))  # no label
    status, accepted = report_call({"payment_id": first[a][0].data.payment_id, "reason": "stolen_card",
                                    "known_at": report_known.isoformat()}, a)
    assert status == 202 and accepted["report_id"].startswith("frp_") and accepted["status"] == "accepted"
    assert report_call({"payment_id": first[a][0].data.payment_id, "reason": "stolen_card",
                        "known_at": report_known.isoformat()}, a) == (202, accepted)  # the same report again
    reported = pipeline.listener.wait_for(lambda s: any(e["detail-type"] == "fraud.reported" for e in s))
    report = next(e for e in reported if e["detail-type"] == "fraud.reported")
    assert report["source"] == "smartpay.fraud" and report["detail"]["data"]["merchant_id"] == a
    assert report["detail"]["metadata"]["event_id"]

    def outcomes():
        return [r.outcome for r in caplog.records if getattr(r, "outcome", None)]

    caplog.clear()
    pipeline.drain(lambda: len(outcomes()) >= 4)  # the dispute (counted), the commercial one, the report twice
    assert sorted(outcomes()) == ["counted", "counted", "duplicate", "not a fraud dispute"], outcomes()

    second = {m: [requested(m, "P2", day7 + timedelta(hours=1)), requested(m, "P3", day7 + timedelta(hours=3))]
              for m in (a, b)}
    pipeline.publisher.publish(second[a][0], second[b][0])
    scores(pipeline, 6)
    pipeline.publisher.publish(second[a][1], second[b][1])
    score = scores(pipeline, 8)

    def used(envelope):  # a redelivery returns the features the payment was scored with, counting nothing
        return dict(zip(names, redis_store.record_and_read_batch(
            [to_transaction(envelope.data, envelope.metadata.occurred_at)], features)[0].tolist(), strict=True))

    before_a, before_b = used(second[a][0]), used(second[b][0])
    assert before_a == before_b and before_a["merchant_fraud_count_1d_lag7d"] == 0  # known after P2: no effect
    assert score[second[a][0].data.payment_id] == score[second[b][0].data.payment_id]
    after_a, after_b = used(second[a][1]), used(second[b][1])
    assert after_a["merchant_fraud_count_1d_lag7d"] == 2 and after_b["merchant_fraud_count_1d_lag7d"] == 0
    assert after_a["card_fraud_count_1d_lag7d"] == 1  # P1's card (P0 was on another card)
    assert {k for k in names if not np.isclose(after_a[k], after_b[k])} <= {
        n for n in names if "fraud_count" in n}  # the labels are the only difference
    assert pipeline.dead_letters() == []


def test_a_label_known_before_its_payment_lands_in_the_dlq_with_the_reason(pipeline, caplog):
    payment = requested("m_labels_c", "P9", T0)
    pipeline.publisher.publish(payment)
    scores(pipeline, 1)
    pipeline.publisher.publish(disputed(payment, T0 - timedelta(hours=1)))
    dead = []
    for _ in range(20):
        pipeline.worker.poll_once()
        dead = pipeline.dead_letters()
        if dead:
            break
    assert len(dead) == 1 and json.loads(dead[0]["Body"])["detail-type"] == "payment.disputed"
    assert any("known before the payment" in str(getattr(r, "reason", "")) for r in caplog.records)


def test_fraud_reports_are_validated_and_scoped_to_the_merchant(pipeline):
    payment = requested("m_labels_d", "P8", T0)
    pipeline.publisher.publish(payment)
    scores(pipeline, 1)
    pid = payment.data.payment_id
    ok = {"payment_id": pid, "reason": "card_testing", "known_at": (T0 + timedelta(days=1)).isoformat()}
    assert report_call(ok, "m_labels_other")[0] == 404  # another merchant's payment does not exist for it
    assert report_call({**ok, "payment_id": "pay_never_scored"}, "m_labels_d")[0] == 404
    status, problem = report_call({**ok, "known_at": (T0 - timedelta(days=1)).isoformat()}, "m_labels_d")
    assert status == 422 and problem["errors"][0]["loc"] == ["body", "known_at"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert report_call({**ok, "known_at": future}, "m_labels_d")[0] == 422
    status, problem = report_call({**ok, "reason": "hunch"}, "m_labels_d")
    assert status == 422 and problem["errors"][0]["loc"] == ["body", "reason"]
    assert report_call({**ok, "merchant_id": "m_labels_d"}, "m_labels_d")[0] == 422  # never a body merchant
    status, accepted = report_call({"payment_id": pid, "reason": "card_testing"}, "m_labels_d")  # known now
    assert status == 202 and datetime.fromisoformat(accepted["known_at"]) <= datetime.now(UTC)
