"""X-Ray end to end on a real moto server: SQS -> SqsWorker + FunctionSegments -> handler subsegment
-> SDK UDP emitter -> local daemon (subprocess) -> PutTraceSegments -> BatchGetTraces."""

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from aws_lambda_powertools import Logger
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
from aws_xray_sdk.core.models.segment import Segment
from aws_xray_sdk.core.models.traceid import TraceId

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested
from smartpay_shared.runtime import tracing
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.worker import SqsWorker
from smartpay_shared.runtime.worker_tracing import FunctionSegments

pytestmark = pytest.mark.integration

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
DEADLINE = 15.0


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(probe, what, deadline=DEADLINE):
    end = time.monotonic() + deadline
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def aws_env():
    port = free_port()
    proc = subprocess.Popen([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"

    def up():
        try:
            return urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).status == 200
        except OSError:
            return False

    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        wait_for(up, "moto server")
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        proc.terminate()
        proc.wait(timeout=10)


def start_daemon(env, interval):
    proc = subprocess.Popen(
        [sys.executable, "-m", "smartpay_shared.local.xray_daemon", "--address", "127.0.0.1:0",
         "--interval", str(interval)],
        env={**os.environ, **env}, stdout=subprocess.PIPE, text=True,
    )
    ready, _, _ = select.select([proc.stdout], [], [], DEADLINE)
    assert ready, "daemon did not log its address"
    line = json.loads(proc.stdout.readline())
    assert line["message"] == "listening"
    return proc, line["address"]


def stop_daemon(proc):
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def daemon(aws_env, monkeypatch):
    proc, address = start_daemon(aws_env, interval=0.1)
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", address)
    monkeypatch.setattr(xray_recorder, "emitter", UDPEmitter())  # restored after the test
    yield address
    if proc.poll() is None:
        stop_daemon(proc)


def bus_event_body(trace_header):
    data = PaymentRequested(
        payment_id=f"pay_{uuid.uuid4().hex[:12]}", merchant_id="m_1", amount=1250, currency="EUR",
        payment_method=PaymentMethod(type="card", token="tok_visa"), customer_id="cus_1",
    )
    envelope = new_envelope(data, producer=Producer(service="payment", version="1.0.0"),
                            correlation_id=data.payment_id, trace_header=trace_header)
    return json.dumps({
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "payment.requested",
        "source": "smartpay.payment", "account": "123456789012", "time": "2026-11-24T10:00:00Z",
        "region": "us-east-1", "resources": [], "detail": envelope.to_detail(),
    })


def documents(xray, trace_id):
    """Every segment and subsegment of a trace (nested, or streamed as documents of their own)."""
    def walk(doc):
        yield doc
        for sub in doc.get("subsegments", []):
            yield from walk(sub)

    traces = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
    return [d for t in traces for s in t["Segments"] for d in walk(json.loads(s["Document"]))]


def test_worker_invocation_reaches_moto_as_one_trace(aws_env, daemon):
    sqs, xray = boto3.client("sqs"), boto3.client("xray")
    queue_url = sqs.create_queue(QueueName=f"xray-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    trace_id, upstream = TraceId().to_id(), uuid.uuid4().hex[:16]
    sqs.send_message(QueueUrl=queue_url, MessageBody=bus_event_body(f"Root={trace_id};Parent={upstream};Sampled=1"))

    emitted = []
    consumer = QueueConsumer({"payment.requested": lambda envelope: emitted.append(tracing.current_trace_header())},
                             logger=Logger(service="fraud"))
    worker = SqsWorker(sqs, queue_url, consumer, function_name="smartpay-fraud-consumer", region="us-east-1",
                       wait_time_seconds=1, around_invoke=FunctionSegments("smartpay-fraud-consumer"))
    assert worker.poll_once().succeeded == 1

    def arrived():
        docs = documents(xray, trace_id)
        names = {d["name"] for d in docs}
        return docs if {"smartpay-fraud-consumer", "handle payment.requested"} <= names else None

    docs = wait_for(arrived, "the invocation's segments in moto")
    [segment] = [d for d in docs if d["name"] == "smartpay-fraud-consumer"]
    [sub] = [d for d in docs if d["name"] == "handle payment.requested"]
    assert (segment["trace_id"], segment["parent_id"], segment["origin"]) == (
        trace_id, upstream, "AWS::Lambda::Function")
    assert sub["annotations"]["event_type"] == "payment.requested"
    # The next hop continues the same trace, under the handler's subsegment.
    assert emitted == [f"Root={trace_id};Parent={sub['id']};Sampled=1"]

    now = time.time()
    summaries = xray.get_trace_summaries(StartTime=now - 300, EndTime=now + 300)["TraceSummaries"]
    assert trace_id in {s["Id"] for s in summaries}


def test_daemon_relays_what_it_holds_when_terminated(aws_env, monkeypatch):
    proc, address = start_daemon(aws_env, interval=60)  # no timed flush during the test
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", address)
    segment = Segment("sigterm-check", traceid=TraceId().to_id())
    segment.close()
    UDPEmitter(address).send_entity(segment)

    logs = stop_daemon(proc)

    assert proc.returncode == 0
    assert logs[-1]["message"] == "stopped" and logs[-1]["relayed"] == 1
    [doc] = documents(boto3.client("xray"), segment.trace_id)
    assert doc["id"] == segment.id
