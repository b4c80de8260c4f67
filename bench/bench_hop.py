"""Hop benchmark: PutEvents -> worker handler invoked, against the emulator's raw PutEvents -> SQS
receive, interleaved in one run on one moto server. Target: runtime p50 <= 1.20 x raw p50."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from rich.progress import track

from bench import report
from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.publisher import EventPublisher, to_entry
from smartpay_shared.runtime.worker import SqsWorker
from smartpay_shared.runtime.worker_tracing import FunctionSegments
from smartpay_shared.testing import MotoServer

N = 500
WARMUP = 20
TARGET_RATIO = 1.20
BUS = "bench-bus"


def queue_for(events: Any, sqs: Any, name: str, source: str, bus: str = BUS) -> str:
    """A queue fed by a rule on `bus` matching `source` (the shape of a service's rule)."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return url


def requested_envelope(service: str, i: int):
    """A valid payment.requested from `service` (source smartpay.<service>), unique per (service, i)."""
    payment_id = f"pay_HOP{service[:3].upper()}{i:06d}"
    data = PaymentRequested(payment_id=payment_id, merchant_id="m_bench", amount=1000 + i, currency="EUR",
                            payment_method=PaymentMethod(type="card", token="pm_card_visa"), customer_id="c")
    return new_envelope(data, producer=Producer(service=service, version="0.1.0"), correlation_id=payment_id)


class RawReceiver(threading.Thread):
    """The floor: a bare long-poll receive on a queue the same rule shape feeds."""

    def __init__(self, sqs: Any, url: str):
        super().__init__(daemon=True)
        self.sqs, self.url = sqs, url
        self.arrived: dict[str, float] = {}
        self.signal = threading.Condition()
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            for m in self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                              WaitTimeSeconds=2).get("Messages", []):
                now = time.perf_counter()
                event_id = json.loads(m["Body"])["detail"]["metadata"]["event_id"]
                with self.signal:
                    self.arrived[event_id] = now
                    self.signal.notify_all()
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"])


def wait_arrival(arrived: dict[str, float], cond: threading.Condition, event_id: str, timeout: float = 30) -> float:
    with cond:
        if not cond.wait_for(lambda: event_id in arrived, timeout=timeout):
            raise TimeoutError(f"event {event_id} never arrived")
        return arrived[event_id]


def measure() -> dict[str, Any]:
    with MotoServer() as server:
        kw = dict(endpoint_url=server.url, region_name="us-east-1", aws_access_key_id="bench",
                  aws_secret_access_key="bench")
        events, sqs_main = boto3.client("events", **kw), boto3.client("sqs", **kw)
        events.create_event_bus(Name=BUS)
        raw_url = queue_for(events, sqs_main, "bench-raw", "smartpay.bench-raw")
        rt_url = queue_for(events, sqs_main, "bench-runtime", "smartpay.bench-rt")

        raw = RawReceiver(boto3.client("sqs", **kw), raw_url)
        invoked: dict[str, float] = {}
        invoked_cond = threading.Condition()

        def handler(envelope) -> None:
            now = time.perf_counter()
            with invoked_cond:
                invoked[envelope.metadata.event_id] = now
                invoked_cond.notify_all()

        consumer = QueueConsumer({"payment.requested": handler}, logger=Logger(service="bench", level="WARNING"))
        worker = SqsWorker(boto3.client("sqs", **kw), rt_url, consumer, function_name="bench-runtime",
                           region="us-east-1", wait_time_seconds=2, around_invoke=FunctionSegments("bench-runtime"))
        worker_thread = threading.Thread(target=worker.run, daemon=True)
        raw.start()
        worker_thread.start()
        publisher = EventPublisher(events, BUS)

        samples: dict[str, list[float]] = {"raw": [], "runtime": []}
        for i in track(range(WARMUP + N), description="hop: PutEvents -> handler vs raw receive"):
            for kind, service, arrived, cond in (("raw", "bench-raw", raw.arrived, raw.signal),
                                                 ("runtime", "bench-rt", invoked, invoked_cond)):
                env = requested_envelope(service, i)
                if kind == "raw":
                    entry = to_entry(env, BUS)  # prepared up front: the floor is the bare API call
                    start = time.perf_counter()
                    events.put_events(Entries=[entry])
                else:
                    start = time.perf_counter()
                    publisher.publish(env)
                end = wait_arrival(arrived, cond, env.metadata.event_id)
                if i >= WARMUP:
                    samples[kind].append((end - start) * 1000)
        raw.stopping = True
        worker.stop()
        worker_thread.join(timeout=10)
    return samples


def run() -> bool:
    samples = measure()
    raw, runtime = report.percentiles(samples["raw"]), report.percentiles(samples["runtime"])
    ratio_p50 = round(runtime["p50_ms"] / raw["p50_ms"], 3)
    ratio_p99 = round(runtime["p99_ms"] / raw["p99_ms"], 3)
    met = ratio_p50 <= TARGET_RATIO
    section = f"""## Hop: PutEvents -> worker handler (platform)

One event at a time, {N} per side after {WARMUP} warm-up rounds, raw and runtime interleaved on one moto
server. **Baseline**: a bare `put_events` call -> rule -> SQS -> bare `receive_message`. **Runtime**: PutEvents (through
`EventPublisher`) -> rule -> SQS -> `SqsWorker` -> Lambda SQS event -> Powertools batch processor ->
envelope validation -> service handler invoked, with X-Ray worker tracing on (segments go
fire-and-forget over UDP to the daemon address; the relay itself is not on the hop).

| path | p50 ms | p90 ms | p99 ms | mean ms |
|---|---|---|---|---|
| baseline (raw) | {raw['p50_ms']} | {raw['p90_ms']} | {raw['p99_ms']} | {raw['mean_ms']} |
| runtime | {runtime['p50_ms']} | {runtime['p90_ms']} | {runtime['p99_ms']} | {runtime['mean_ms']} |

Ratio runtime/baseline: p50 **{ratio_p50}**, p99 {ratio_p99}. Target p50 ratio <= {TARGET_RATIO}:
**{"met" if met else "missed"}**.
"""
    path = report.write("hop", {"events_per_side": N, "warmup": WARMUP, "baseline": raw, "runtime": runtime,
                                "ratio_p50": ratio_p50, "ratio_p99": ratio_p99, "target_ratio_p50": TARGET_RATIO,
                                "target_met": met, "xray_worker_tracing": True}, section)
    print(section)
    print(f"wrote {path}")
    return met
