"""The API, the consumer and the deliverer on a private moto server, delivering to a real receiver that
verifies every request with the standardwebhooks library: merchant scoping, the secret shown once and
stored encrypted, retries through the delivery queue, the delivery log, resend, rotation, SSRF refusals."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Producer, new_envelope

from smartpay_webhooks.entrypoints.deliverer import drain
from smartpay_webhooks.testing.api_events import call, endpoint_call

pytestmark = pytest.mark.integration
PAYMENT = Producer(service="payment", version="0.1.0")


def captured(merchant="m_acme", payment_id="pay_abcdefgh12"):
    data = p.PaymentCaptured(payment_id=payment_id, merchant_id=merchant, attempt=1, gateway="stripe",
                             gateway_reference="pi_123", currency="EUR", amount=1250)
    return new_envelope(data, producer=PAYMENT, correlation_id=payment_id)


def deliver_until(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drain(budget_seconds=5, wait_seconds=1)
        if predicate():
            return
    raise AssertionError("deliveries did not arrive in time")


def create(url, merchant="m_acme", types=("payment.captured",)):
    return call("POST", "/webhook-endpoints", {"url": url, "event_types": list(types), "description": "shop"},
                merchant=merchant)


def test_endpoint_lifecycle_is_merchant_scoped_and_the_secret_shown_once(wired):
    status, created = create("http://127.0.0.1:9/hooks")
    assert status == 201 and created["secret"].startswith("whsec_") and created["status"] == "enabled"
    endpoint_id = created["endpoint_id"]
    status, listed = call("GET", "/webhook-endpoints")
    assert status == 200 and [e["endpoint_id"] for e in listed["endpoints"]] == [endpoint_id]
    assert "secret" not in listed["endpoints"][0] and "whsec_" not in json.dumps(listed)
    # Stored only as KMS ciphertext, bound to the endpoint.
    items = wired["ddb"].scan(TableName="smartpay-webhook-endpoints")["Items"]
    assert created["secret"] not in json.dumps(items) and created["secret"][6:] not in json.dumps(items)

    assert endpoint_call("GET", endpoint_id, merchant="m_other")[0] == 404
    assert endpoint_call("DELETE", endpoint_id, merchant="m_other")[0] == 404
    assert call("GET", "/webhook-endpoints", merchant="m_other")[1] == {"endpoints": []}

    status, updated = endpoint_call("PATCH", endpoint_id, body={"description": "new", "event_types": [
        "payment.captured", "payment.refunded"]})
    assert status == 200 and updated["description"] == "new" and updated["event_types"] == [
        "payment.captured", "payment.refunded"]
    assert endpoint_call("POST", endpoint_id, "/disable")[1]["status"] == "disabled"
    status, rotated = endpoint_call("POST", endpoint_id, "/rotate-secret")
    assert status == 200 and rotated["secret"] != created["secret"] and rotated["secrets_active"] == 2
    assert endpoint_call("GET", endpoint_id)[1].get("secret") is None
    assert endpoint_call("DELETE", endpoint_id)[0] == 204
    assert endpoint_call("GET", endpoint_id)[0] == 404


def test_bad_input_is_a_422_problem_with_the_field(wired):
    status, body = create("http://127.0.0.1:9/", types=("payment.requested",))
    assert status == 422 and body["type"].endswith("validation-error")
    assert body["errors"][0]["loc"][:2] == ["body", "event_types"]
    status, body = create("http://169.254.169.254/latest/meta-data/")
    assert status == 422 and body["errors"][0]["pointer"] == "#/url" and "link-local" in body["errors"][0]["detail"]
    status, body = call("POST", "/webhook-endpoints", {"url": "http://127.0.0.1:9/", "event_types": [
        "payment.captured"], "merchant_id": "m_other"})
    assert status == 422  # the merchant is the token's, never a body field
    assert wired["ddb"].scan(TableName="smartpay-webhook-endpoints")["Items"] == []


@pytest.mark.parametrize("local_settings", [{}])
def test_the_default_aws_policy_refuses_loopback_and_plain_http(wired):
    status, body = create("http://127.0.0.1:9/hooks")
    assert status == 422 and "https" in body["errors"][0]["detail"]
    status, body = create("https://127.0.0.1:9/hooks")
    assert status == 422 and "loopback" in body["errors"][0]["detail"]
    status, body = create("https://10.0.0.8/hooks")
    assert status == 422 and "private" in body["errors"][0]["detail"]


def test_outcomes_are_signed_retried_logged_and_resent(wired, receiver, consume):
    receiver.fail_first = 2
    status, created = create(receiver.url)
    receiver.secrets.append(created["secret"])
    endpoint_id = created["endpoint_id"]
    create(receiver.url, merchant="m_other")  # another merchant's endpoint gets nothing of m_acme's

    envelope = captured()
    assert consume(wired["sqs"], envelope) == {"batchItemFailures": []}
    # The consumer made the first attempt itself (no deliverer yet); the retries come through the queue.
    assert [r.answered for r in receiver.received if r.webhook_id == envelope.metadata.event_id] == [500]
    deliver_until(lambda: envelope.metadata.event_id in receiver.delivered())
    tries = [r for r in receiver.received if r.webhook_id == envelope.metadata.event_id]
    assert [r.answered for r in tries] == [500, 500, 200] and all(r.verified for r in tries)
    assert tries[-1].data["payment_id"] == "pay_abcdefgh12" and tries[-1].event_type == "payment.captured"

    status, log = endpoint_call("GET", endpoint_id, "/deliveries")
    (delivery,) = log["deliveries"]
    assert delivery["status"] == "succeeded" and delivery["event_id"] == envelope.metadata.event_id
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
    assert all(a["latency_ms"] >= 0 and len(a["response_body"]) <= 512 for a in delivery["attempts"])
    assert created["secret"] not in json.dumps(log)
    assert endpoint_call("GET", endpoint_id, "/deliveries", merchant="m_other")[0] == 404

    # Resend one: the same webhook-id again.
    status, _ = endpoint_call("POST", endpoint_id, f"/deliveries/{delivery['delivery_id']}/resend")
    assert status == 202
    deliver_until(lambda: sum(r.webhook_id == envelope.metadata.event_id and r.answered == 200
                              for r in receiver.received) == 2)

    # Resend since a time, after a rotation: both secrets sign during the grace period.
    _, rotated = endpoint_call("POST", endpoint_id, "/rotate-secret")
    receiver.secrets[:] = [rotated["secret"]]
    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    status, body = endpoint_call("POST", endpoint_id, "/resend", {"since": since})
    assert status == 202 and body["resent"] == 1
    deliver_until(lambda: sum(r.webhook_id == envelope.metadata.event_id and r.answered == 200
                              for r in receiver.received) == 3)
    assert all(r.verified for r in receiver.received)


def test_the_test_event_and_an_exhausted_delivery_marks_the_endpoint_failing(wired, receiver, consume, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_MAX_ATTEMPTS", "2")
    from smartpay_webhooks import bootstrap
    from smartpay_webhooks.config import webhooks_settings

    webhooks_settings.cache_clear()
    bootstrap.service.cache_clear()
    _, created = create(receiver.url)
    receiver.secrets.append(created["secret"])
    status, test = endpoint_call("POST", created["endpoint_id"], "/test")
    assert status == 202 and test["event_type"] == "webhook.test"
    deliver_until(lambda: test["event_id"] in receiver.delivered())

    receiver.down = True
    envelope = captured(payment_id="pay_zzzzzzzz99")
    consume(wired["sqs"], envelope)
    deliver_until(lambda: endpoint_call("GET", created["endpoint_id"])[1]["status"] == "failing")
    _, log = endpoint_call("GET", created["endpoint_id"], "/deliveries", query={"limit": "1"})
    (latest,) = log["deliveries"]
    assert latest["status"] == "failed" and latest["attempt_count"] == 2 and log["next_before"]
    receiver.down = False
    endpoint_call("POST", created["endpoint_id"], f"/deliveries/{latest['delivery_id']}/resend")
    deliver_until(lambda: envelope.metadata.event_id in receiver.delivered())
    assert endpoint_call("GET", created["endpoint_id"])[1]["status"] == "enabled"


def test_an_attempt_over_the_endpoints_rate_cap_waits_on_the_delivery_queue(wired, receiver, consume, monkeypatch):
    for key, value in {"WEBHOOKS_ENDPOINT_RATE_BURST": "1", "WEBHOOKS_ENDPOINT_RATE_PER_SECOND": "0.5"}.items():
        monkeypatch.setenv(key, value)
    from smartpay_webhooks import bootstrap
    from smartpay_webhooks.config import webhooks_settings

    webhooks_settings.cache_clear()
    bootstrap.service.cache_clear()
    _, created = create(receiver.url)
    receiver.secrets.append(created["secret"])
    first, second = captured(payment_id="pay_rate0000001"), captured(payment_id="pay_rate0000002")
    consume(wired["sqs"], first)
    consume(wired["sqs"], second)
    assert list(receiver.delivered()) == [first.metadata.event_id]  # the bucket held one attempt
    _, log = endpoint_call("GET", created["endpoint_id"], "/deliveries")
    pending = [d for d in log["deliveries"] if d["event_id"] == second.metadata.event_id]
    assert pending[0]["status"] == "pending" and pending[0]["attempt_count"] == 0  # deferred, not counted
    deliver_until(lambda: second.metadata.event_id in receiver.delivered())
    assert len(receiver.received) == 2  # each sent once


def test_the_dlq_resweep_puts_stranded_deliveries_back_on_the_queue(wired, receiver, consume, monkeypatch):
    from typer.testing import CliRunner

    from smartpay_webhooks import bootstrap
    from smartpay_webhooks.config import webhooks_settings
    from smartpay_webhooks.entrypoints.cli import app

    monkeypatch.setenv("WEBHOOKS_FIRST_ATTEMPT_WIDTH", "0")  # the first attempt goes through the delivery queue
    webhooks_settings.cache_clear()
    bootstrap.service.cache_clear()
    sqs = wired["sqs"]
    queue_url = sqs.get_queue_url(QueueName="smartpay-webhooks-deliveries")["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName="smartpay-webhooks-deliveries-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})
    _, created = create(receiver.url)
    receiver.secrets.append(created["secret"])
    envelope = captured(payment_id="pay_dlq000000001")
    consume(sqs, envelope)
    assert receiver.received == []  # nothing sent by the consumer: the task waits on the delivery queue

    # The deliverer failed on the task max_receive_count times: it is in the DLQ, as the redrive policy puts it.
    (message,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    sqs.send_message(QueueUrl=dlq_url, MessageBody=message["Body"])
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    sqs.send_message(QueueUrl=dlq_url, MessageBody=json.dumps({**json.loads(message["Body"]), "attempt": 4}))
    sqs.send_message(QueueUrl=dlq_url, MessageBody="not a delivery task")

    result = CliRunner().invoke(app, ["resweep-dlq"])
    assert result.exit_code == 0, result.output
    assert "requeued=1 dropped=1 kept=1" in result.output
    deliver_until(lambda: envelope.metadata.event_id in receiver.delivered())
    assert len(receiver.received) == 1  # sent once
    attrs = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    assert int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 1  # kept
