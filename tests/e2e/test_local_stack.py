"""`make up` end to end: the real stack (moto + Terraform + workers + X-Ray relay + gateway) on free
ports, an event reaching exactly its subscribers, a malformed event in the DLQ with its reason,
Cognito-authenticated HTTP, replay of one payment, and `make down` stopping what it started."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentAuthorized
from smartpay_shared.local import stack
from smartpay_shared.local.probe import probe_envelope, received_by, wait_for_handlers
from smartpay_shared.manifest import all_manifests
from smartpay_shared.runtime.publisher import EventPublisher
from smartpay_shared.testing.stack import private_stack

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
SMARTPAY = str(Path(sys.executable).parent / "smartpay")
PASSWORD = "E2e-merchant-Passw0rd!"


@pytest.fixture(scope="module")
def local_stack(tmp_path_factory):
    with private_stack(tmp_path_factory.mktemp("local")) as info:
        yield info


@pytest.fixture(scope="module")
def clients(local_stack):
    def make(name):
        return boto3.client(name, endpoint_url=local_stack["aws_endpoint_url"], region_name="us-east-1")
    return make


def cli(*args, env=None):
    return subprocess.run([SMARTPAY, *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **(env or {})})


def test_an_event_reaches_exactly_the_subscribing_workers(local_stack, clients):
    envelope = probe_envelope()
    EventPublisher(clients("events"), local_stack["bus_name"]).publish(envelope)
    subscribers = {n for n, m in all_manifests().items()
                   if envelope.event_type in {s.event_type for s in m.subscriptions}}
    assert subscribers == {"fraud", "payment", "chat"}  # chat indexes a payment from its first event
    event_id = envelope.metadata.event_id
    seen = wait_for_handlers(local_stack["state"] / "logs", event_id, subscribers)
    assert received_by(seen, event_id) == subscribers
    # Every log line of the hop (the ones naming this event) carries the payment's correlation id.
    for service in subscribers:
        assert all(r.get("correlation_id") == envelope.metadata.correlation_id for r in seen[service]), seen
    local_stack["probe"] = envelope


def test_one_trace_spans_the_hop_to_every_subscriber(local_stack, clients):
    from aws_xray_sdk.core.models.traceid import TraceId

    root = TraceId().to_id()
    envelope = probe_envelope()
    envelope = envelope.model_copy(update={"metadata": envelope.metadata.model_copy(
        update={"trace_header": f"Root={root};Sampled=1"})})
    EventPublisher(clients("events"), local_stack["bus_name"]).publish(envelope)
    xray, deadline, names = clients("xray"), time.monotonic() + 30, set()
    while time.monotonic() < deadline and not names >= {"smartpay-fraud-worker", "smartpay-payment-worker"}:
        time.sleep(1)
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        names = {json.loads(seg["Document"])["name"] for t in traces for seg in t["Segments"]}
    # Both subscribers joined the event's trace (and so do later hops of the saga, which continue it).
    assert names >= {"smartpay-fraud-worker", "smartpay-payment-worker"}


def test_a_malformed_event_ends_in_the_dlq_with_the_reason_logged(local_stack, clients):
    events, sqs = clients("events"), clients("sqs")
    bad = {"metadata": {"event_id": "e2e-malformed", "event_type": "payment.requested"}, "data": {"amount": -1}}
    events.put_events(Entries=[{"Source": "smartpay.payment", "DetailType": "payment.requested",
                                "Detail": json.dumps(bad), "EventBusName": local_stack["bus_name"]}])
    dlq = sqs.get_queue_url(QueueName="smartpay-fraud-dlq")["QueueUrl"]
    deadline, found = time.monotonic() + 90, None
    while time.monotonic() < deadline and not found:
        for m in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=2,
                                     VisibilityTimeout=0).get("Messages", []):
            if "e2e-malformed" in m["Body"]:
                found = m
    assert found, "malformed event never reached the fraud DLQ"
    log = (local_stack["state"] / "logs" / "worker-fraud.log").read_text()
    reasons = [json.loads(line)["reason"] for line in log.splitlines()
               if line.startswith("{") and '"invalid event"' in line and found["MessageId"] in line]
    assert reasons and "invalid metadata" in reasons[0]


def test_gateway_verifies_cognito_tokens_and_serves_openapi(local_stack):
    env = {"SMARTPAY_USER_PASSWORD": PASSWORD}
    created = cli("auth", "create-user", "--email", "e2e@example.com", "--merchant-id", "m_e2e", env=env)
    assert created.returncode == 0, created.stderr
    token = cli("auth", "token", "--email", "e2e@example.com", env=env).stdout.strip()
    url = local_stack["gateway_url"]
    body = {"amount": 100, "currency": "EUR", "payment_method": {"type": "card", "token": "pm_card_visa"},
            "customer_id": "c1"}
    assert requests.post(url + "/fraud", json=body, timeout=10).status_code == 401
    answered = requests.post(url + "/fraud", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answered.status_code not in (401, 403, 404)  # the service handler answered, whatever its state
    assert answered.headers["Content-Type"].startswith("application/json")
    invalid = requests.post(url + "/fraud", json={**body, "amount": -5},
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert invalid.status_code == 422
    paths = requests.get(url + "/openapi.json", timeout=10).json()["paths"]
    assert {"/fraud", "/route", "/pay", "/payments/{payment_id}", "/chat"} <= set(paths)


def test_replay_of_one_payment_redelivers_exactly_its_events(local_stack, clients):
    # payment.authorized has no subscriber, so the archive holds exactly what this test put there.
    def authorized(payment_id, attempt):
        data = PaymentAuthorized(payment_id=payment_id, merchant_id="m_replay", attempt=attempt, gateway="stripe",
                                 gateway_reference=f"pi_{attempt}", amount=500, currency="EUR")
        return new_envelope(data, producer=Producer(service="payment", version="0.1.0"), correlation_id=payment_id)

    mine = [authorized("pay_replayMINE0001", 1), authorized("pay_replayMINE0001", 2)]
    EventPublisher(clients("events"), local_stack["bus_name"]).publish(*mine, authorized("pay_replayOTHER001", 1))
    time.sleep(1)
    result = cli("events", "replay", "--since", "30m", "--payment", "pay_replayMINE0001",
                 "--to", "debug", "--bus", local_stack["bus_name"])
    assert result.returncode == 0, result.stderr
    assert "replayed 2 event(s)" in result.stdout
    debug_queue = next(word for word in result.stdout.split() if word.startswith("http"))
    sqs = clients("sqs")
    bodies = [json.loads(m["Body"]) for m in sqs.receive_message(
        QueueUrl=debug_queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]]
    assert sorted(b["detail"]["metadata"]["event_id"] for b in bodies) == sorted(e.metadata.event_id for e in mine)


def test_every_worker_and_loop_runs_with_its_functions_deployed_environment(local_stack, clients):
    """Local runs what Terraform deploys (issue #15): each worker process has its worker function's environment,
    each background loop that of the function it stands in for (the payment sweeper: smartpay-payment-sweeper),
    as Lambda reports it."""
    lam, outputs = clients("lambda"), local_stack["terraform_outputs"]["services"]
    stands_in = {f"worker-{service}": (service, "worker") for service in outputs}
    stands_in |= {f"{m.service}-{p.name}": (m.service, p.function) for m in all_manifests().values()
                  for p in m.local_processes if p.ready_url is None}
    assert stands_in["payment-sweeper"] == ("payment", "sweeper")
    for name, (service, kind) in stands_in.items():
        raw = Path(f"/proc/{local_stack['processes'][name]['pid']}/environ").read_bytes().decode()
        environ = dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)
        function = outputs[service]["functions"][kind]["name"]
        deployed = lam.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
        assert {k: environ.get(k) for k in deployed} == deployed, f"{name} runs as {function}"


def test_down_stops_exactly_what_up_started(local_stack):
    pids = [p["pid"] for p in local_stack["processes"].values()]
    local = sum(len(m.local_processes) for m in all_manifests().values())
    assert len(pids) == 1 + 1 + 1 + len(all_manifests()) + 1 + local  # moto, redis, xray, workers, gateway, emulators
    stopped = stack.down()
    assert set(stopped) == set(local_stack["processes"])
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "State:\tZ" in Path(f"/proc/{pid}/status").read_text()
