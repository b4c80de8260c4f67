"""The worker's around_invoke: one function segment per invocation, continuing the envelope's trace."""

import json
import socket
import uuid

import pytest
from aws_lambda_powertools import Logger
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from aws_xray_sdk.core.lambda_launcher import LambdaContext
from aws_xray_sdk.core.recorder import AWSXRayRecorder

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested
from smartpay_shared.runtime import tracing
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.runtime.worker_tracing import FunctionSegments, around_invoke, record_trace_header

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
PARENT = "53995c3f42cd8ad8"
HEADER = f"Root={ROOT};Parent={PARENT};Sampled=1"


class InMemoryEmitter:
    def __init__(self):
        self.documents = []

    def send_entity(self, entity):
        self.documents.append(json.loads(entity.serialize()))


class BrokenEmitter:
    def send_entity(self, entity):
        raise OSError("daemon gone")


@pytest.fixture
def emitter(monkeypatch):
    fake = InMemoryEmitter()
    monkeypatch.setattr(xray_recorder, "emitter", fake)
    yield fake
    xray_recorder.clear_trace_entities()


def bus_event(trace_header=HEADER):
    data = PaymentRequested(
        payment_id="pay_abcdefgh12", merchant_id="m_1", amount=1250, currency="EUR",
        payment_method=PaymentMethod(type="card", token="tok_visa"), customer_id="cus_1",
    )
    envelope = new_envelope(data, producer=Producer(service="payment", version="1.0.0"),
                            correlation_id=data.payment_id, trace_header=trace_header)
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "payment.requested",
        "source": "smartpay.payment", "account": "123456789012", "time": "2026-11-24T10:00:00Z",
        "region": "us-east-1", "resources": [], "detail": envelope.to_detail(),
    }


def sqs_record(body, attributes=None):
    return {
        "messageId": str(uuid.uuid4()), "receiptHandle": "rh", "body": body,
        "attributes": attributes or {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "md5OfBody": "x", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:smartpay-fraud", "awsRegion": "us-east-1",
    }


def run(around_invoke, records, handler):
    consumer = QueueConsumer({"payment.requested": handler}, logger=Logger(service="test"))
    event = {"Records": records}
    return around_invoke(records, lambda: consumer(event, LocalLambdaContext(function_name="fraud-consumer")))


def walk(document):
    yield document
    for sub in document.get("subsegments", []):
        yield from walk(sub)


def test_segment_continues_the_envelope_trace_and_holds_the_handler_subsegment(emitter):
    seen = []
    response = run(FunctionSegments("fraud-consumer"), [sqs_record(json.dumps(bus_event()))],
                   lambda envelope: seen.append(tracing.current_trace_header()))

    assert response == {"batchItemFailures": []}
    [segment] = emitter.documents
    assert (segment["name"], segment["trace_id"], segment["parent_id"]) == ("fraud-consumer", ROOT, PARENT)
    assert segment["origin"] == "AWS::Lambda::Function"
    [sub] = segment["subsegments"]
    assert sub["name"] == "handle payment.requested"
    assert sub["annotations"]["correlation_id"] == "pay_abcdefgh12"
    # What the handler would put on the events it emits: same trace, the handler's subsegment as parent.
    assert seen == [f"Root={ROOT};Parent={sub['id']};Sampled=1"]
    assert tracing.current_trace_header() is None  # nothing leaks into the next invocation


@pytest.mark.parametrize(
    "body",
    [json.dumps(bus_event(trace_header=None)), "not json", "[1, 2]", json.dumps({"detail": "x"}),
     json.dumps(bus_event(trace_header="Root=nonsense;Parent=zz;Sampled=1"))],
)
def test_without_a_usable_header_a_new_trace_starts(emitter, body):
    FunctionSegments("fraud-consumer")([sqs_record(body)], lambda: None)
    [segment] = emitter.documents
    assert segment["trace_id"].startswith("1-") and segment["trace_id"] != ROOT
    assert "parent_id" not in segment


def test_the_sqs_trace_attribute_is_the_fallback():
    record = sqs_record(json.dumps(bus_event(trace_header=None)), {"AWSTraceHeader": HEADER})
    assert record_trace_header(record) == HEADER
    assert record_trace_header(sqs_record(json.dumps(bus_event()), {"AWSTraceHeader": "other"})) == HEADER


def test_a_failing_record_is_recorded_and_the_partial_response_passes_through(emitter):
    calls = []

    def handler(envelope):
        calls.append(envelope)
        if len(calls) == 2:
            raise RuntimeError("gateway down")

    ok, failing = sqs_record(json.dumps(bus_event())), sqs_record(json.dumps(bus_event()))
    response = run(FunctionSegments("fraud-consumer"), [ok, failing], handler)

    assert response == {"batchItemFailures": [{"itemIdentifier": failing["messageId"]}]}
    [segment] = emitter.documents
    assert segment["metadata"]["smartpay"] == {"batch_size": 2, "failed_records": 1}
    assert ["cause" in sub for sub in segment["subsegments"]] == [False, True]
    assert segment["subsegments"][1]["cause"]["exceptions"][0]["message"] == "gateway down"


def test_a_raising_handler_is_recorded_and_reraised(emitter):
    def invoke():
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        FunctionSegments("fraud-consumer")([sqs_record(json.dumps(bus_event()))], invoke)
    [segment] = emitter.documents
    assert segment["fault"] is True and segment["trace_id"] == ROOT


def test_a_tracing_failure_never_fails_the_batch(monkeypatch):
    monkeypatch.setattr(xray_recorder, "emitter", BrokenEmitter())
    calls = []
    response = FunctionSegments("fraud-consumer")([sqs_record("x")], lambda: calls.append(1) or {"ok": 1})
    assert (response, calls) == ({"ok": 1}, [1])

    def broken_begin(*args, **kwargs):
        raise RuntimeError("sdk bug")

    monkeypatch.setattr(xray_recorder, "begin_segment", broken_begin)
    response = FunctionSegments("fraud-consumer")([sqs_record("x")], lambda: calls.append(2) or {"ok": 2})
    assert (response, calls) == ({"ok": 2}, [1, 2])
    assert tracing.current_trace_header() is None


def test_a_subsegment_left_open_still_emits_the_function_segment(emitter):
    def invoke():
        xray_recorder.begin_subsegment("leaked")

    FunctionSegments("fraud-consumer")([sqs_record(json.dumps(bus_event()))], invoke)
    [segment] = emitter.documents
    assert [s["name"] for s in walk(segment)] == ["fraud-consumer", "leaked"]
    assert tracing.current_trace_header() is None


def test_lambda_context_is_replaced_so_the_worker_can_open_segments():
    recorder = AWSXRayRecorder()
    recorder.context = LambdaContext()  # what the SDK picks when LAMBDA_TASK_ROOT is set
    recorder.emitter = InMemoryEmitter()

    FunctionSegments("fraud-consumer", recorder=recorder)([sqs_record(json.dumps(bus_event()))], lambda: None)
    [segment] = recorder.emitter.documents
    assert segment["trace_id"] == ROOT


def test_the_ready_made_around_invoke_names_the_segment_after_the_queue(emitter, monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    response = around_invoke([sqs_record(json.dumps(bus_event()))], lambda: {"batchItemFailures": []})
    assert response == {"batchItemFailures": []}
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "payment-consumer")
    around_invoke([sqs_record("x")], lambda: None)
    around_invoke([], lambda: None)
    assert [d["name"] for d in emitter.documents] == ["smartpay-fraud", "payment-consumer", "payment-consumer"]
    assert emitter.documents[0]["trace_id"] == ROOT


def test_a_malformed_daemon_address_does_not_stop_the_worker(monkeypatch):
    monkeypatch.delenv("AWS_XRAY_DAEMON_ADDRESS", raising=False)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as daemon:
        daemon.bind(("127.0.0.1", 0))
        recorder = AWSXRayRecorder()
        recorder.emitter = UDPEmitter("127.0.0.1:%d" % daemon.getsockname()[1])
        monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", "not-an-address")
        response = FunctionSegments("fraud-consumer", recorder=recorder)([sqs_record("x")], lambda: "ok")
        assert response == "ok"
        assert json.loads(daemon.recv(65535).split(b"\n", 1)[1])["name"] == "fraud-consumer"


def test_patch_clients_makes_every_aws_call_a_subsegment_even_after_a_tracer_switched_the_sdk_off():
    """In a subprocess: patching is process-wide and cannot be undone."""
    import subprocess
    import sys

    code = """
from aws_lambda_powertools import Tracer
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.context import Context
import boto3, botocore.exceptions
Tracer(service="x")  # outside Lambda this switches the X-Ray SDK off
from smartpay_shared.local.run_worker import patch_clients
patch_clients()
xray_recorder.context = Context()
segment = xray_recorder.begin_segment("t", sampling=1)
client = boto3.client("sqs", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                      aws_access_key_id="a", aws_secret_access_key="b")
try:
    client.list_queues()
except botocore.exceptions.BotoCoreError:
    pass
print([s.name for s in segment.subsegments])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"AWS_MAX_ATTEMPTS": "1", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['sqs']"
