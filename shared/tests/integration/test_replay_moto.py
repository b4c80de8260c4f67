"""`smartpay events replay` logic against a real moto archive: exactly one payment's events."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from smartpay_shared.ops.replay import replay
from smartpay_shared.runtime.publisher import EventPublisher


@pytest.fixture
def bus_with_archive(aws):
    events, sqs = aws("events"), aws("sqs")
    arn = events.create_event_bus(Name="replay-bus")["EventBusArn"]
    events.create_archive(ArchiveName="replay-bus-archive", EventSourceArn=arn)
    # A service-style rule: live events only, as Terraform writes them.
    queue = sqs.create_queue(QueueName="service")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="service", EventBusName="replay-bus", EventPattern=json.dumps(
        {"source": [{"prefix": "smartpay."}], "replay-name": [{"exists": False}]}))
    events.put_targets(Rule="service", EventBusName="replay-bus", Targets=[{"Id": "q", "Arn": queue_arn}])
    return events, sqs, queue


def _drain(sqs, url):
    bodies = []
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages"):
        for m in msgs:
            bodies.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def test_replay_one_payment_to_debug_then_to_bus(bus_with_archive, envelope):
    events, sqs, service_queue = bus_with_archive
    start = datetime.now(UTC) - timedelta(seconds=5)
    mine = [envelope("pay_MINE00001"), envelope("pay_MINE00001")]
    other = [envelope("pay_OTHER0001") for _ in range(3)]
    EventPublisher(events, "replay-bus").publish(*mine, *other)
    assert len(_drain(sqs, service_queue)) == 5
    end = datetime.now(UTC) + timedelta(seconds=1)

    debug = replay(events, sqs, bus_name="replay-bus", archive_name="replay-bus-archive",
                   start=start, end=end, payment_id="pay_MINE00001", target="debug")
    assert debug.replayed == 2
    replayed = _drain(sqs, debug.debug_queue_url)
    assert sorted(e["detail"]["metadata"]["event_id"] for e in replayed) == sorted(
        e.metadata.event_id for e in mine)
    assert all(e["replay-name"] == debug.name for e in replayed)
    assert _drain(sqs, service_queue) == []  # replays never reach service rules directly

    to_bus = replay(events, sqs, bus_name="replay-bus", archive_name="replay-bus-archive",
                    start=start, end=end, payment_id="pay_MINE00001", target="bus")
    assert to_bus.replayed == 2
    redelivered = _drain(sqs, service_queue)
    assert sorted(e["detail"]["metadata"]["event_id"] for e in redelivered) == sorted(
        e.metadata.event_id for e in mine)
