"""The stack's moto server caches jsonpath_ng's parse (moto's EventBridge compiled eight JSONPath expressions per
delivery: smartpay_shared.local.moto_server). The deliveries must be the same with and without it: an SQS target
without a transformer (how every SmartPay rule delivers) and one with an InputTransformer."""

import json
import uuid

import boto3
import jsonpath_ng.ext
import pytest
from moto import mock_aws

from smartpay_shared.local import moto_server


def deliveries() -> list[str]:
    run = uuid.uuid4().hex[:8]  # names of its own: another test's mock_aws may still hold its state
    with mock_aws():
        events, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        events.create_event_bus(Name=f"bus-{run}")
        bodies = []
        for name, extra in (("plain", {}), ("shaped", {"InputTransformer": {
                "InputPathsMap": {"pid": "$.detail.data.payment_id", "kind": "$.detail-type"},
                "InputTemplate": '{"payment": "<pid>", "kind": "<kind>"}'}})):
            url = sqs.create_queue(QueueName=f"{name}-{run}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            events.put_rule(Name=f"{name}-{run}", EventBusName=f"bus-{run}",
                            EventPattern=json.dumps({"source": ["smartpay.payment"], "detail-type": ["payment.requested"]}))
            events.put_targets(Rule=f"{name}-{run}", EventBusName=f"bus-{run}", Targets=[{"Id": "q", "Arn": arn, **extra}])
        for i in range(3):
            events.put_events(Entries=[{"Source": "smartpay.payment", "DetailType": "payment.requested",
                                        "EventBusName": f"bus-{run}", "Time": 1_767_225_600 + i,
                                        "Detail": json.dumps({"data": {"payment_id": f"pay_{i}", "amount": 100 + i}})}])
        for name in ("plain", "shaped"):
            url = sqs.get_queue_url(QueueName=f"{name}-{run}")["QueueUrl"]
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
            for m in got:
                body = json.loads(m["Body"])
                body.pop("id", None)  # a fresh event id per PutEvents
                bodies.append(json.dumps(body, sort_keys=True))
        return sorted(bodies)


@pytest.fixture
def restore_parse(monkeypatch):
    # In-process moto: `make test` exports AWS_ENDPOINT_URL (the stack's emulator), which boto3 would follow.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    original = jsonpath_ng.ext.parse
    yield
    jsonpath_ng.ext.parse = original


def test_cached_paths_deliver_exactly_what_moto_delivers(restore_parse):
    plain = deliveries()
    assert len(plain) == 6 and any('"payment": "pay_1"' in b for b in plain)
    moto_server.cache_event_paths()
    assert jsonpath_ng.ext.parse("$.detail") is jsonpath_ng.ext.parse("$.detail")  # compiled once
    assert deliveries() == plain
    moto_server.cache_event_paths()  # idempotent: not wrapped twice
    assert not hasattr(jsonpath_ng.ext.parse.__wrapped__, "cache_info")


HOSTS = ["sqs.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com", "events.us-east-1.amazonaws.com",
         "s3.amazonaws.com", "cognito-idp.us-east-1.amazonaws.com", "lambda.us-east-1.amazonaws.com",
         "sqs", "moto_api", None, "nothing.example.com"]


def test_the_dispatcher_picks_the_backend_moto_picks_and_remembers_it(monkeypatch):
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    dispatcher, _ = moto_server.server_classes()
    ours, theirs = dispatcher(create_backend_app), DomainDispatcherApplication(create_backend_app)
    expected = [theirs.get_backend_for_host(h) for h in HOSTS]
    assert expected[:3] == ["sqs", "dynamodb", "events"]
    assert [ours.get_backend_for_host(h) for h in HOSTS] == expected

    def listed():
        raise AssertionError("listed moto's modules again")

    monkeypatch.setattr(backends, "list_of_moto_modules", listed)
    assert [ours.get_backend_for_host(h) for h in HOSTS] == expected  # from memory, no directory listing


def test_the_handler_logs_only_server_errors(monkeypatch):
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    _, handler = moto_server.server_classes()
    logged = []
    monkeypatch.setattr(MotoRequestHandler, "log_request", lambda self, code="-", size="-": logged.append(code))
    quiet = handler.__new__(handler)  # no socket: only log_request is exercised
    for code in (200, 400, 404, 500, 503):
        quiet.log_request(code, 10)
    assert logged == [500, 503]
