"""moto's EventBridge delivery cost, with and without the stack's jsonpath cache (smartpay_shared.local.moto_server).

A bus shaped like the stack's: one rule per (service, event type) subscription, each with an SQS target, and the
archive every event goes to. Each PutEvents of a saga event matches one rule plus the archive. Measured as CPU
time of this process (moto in process, the same backend code the server runs), so other load on the machine
does not enter the figure; the baseline (moto as released) runs in the same process right before."""

from __future__ import annotations

import json
import os
import time

import boto3
import jsonpath_ng.ext
from moto import mock_aws
from rich.progress import track

from bench import report
from smartpay_shared.local import moto_server

RULES = 35  # the stack: 4 services' subscriptions (shared/smartpay_shared/events catalog), about this many rules
EVENTS = int(os.environ.get("BENCH_MOTO_EVENTS", "300"))
TYPES = ["payment.requested", "fraud.assessed", "route.selected", "payment.completed", "payment.captured",
         "payment.authorized", "payment.indexed"]


def _cpu_ms_per_put(events: int) -> float:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    with mock_aws():
        ev, sqs = boto3.client("events", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
        ev.create_event_bus(Name="bus")
        bus_arn = ev.describe_event_bus(Name="bus")["Arn"]
        ev.create_archive(ArchiveName="archive", EventSourceArn=bus_arn, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
        urls = []
        for i in range(RULES):
            url = sqs.create_queue(QueueName=f"q{i}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            pattern = {"source": ["smartpay.payment"], "detail-type": [f"{TYPES[i % len(TYPES)]}.{i // len(TYPES)}"],
                       "replay-name": [{"exists": False}]}
            ev.put_rule(Name=f"r{i}", EventBusName="bus", EventPattern=json.dumps(pattern))
            ev.put_targets(Rule=f"r{i}", EventBusName="bus", Targets=[{"Id": "sqs", "Arn": arn}])
            urls.append(url)
        detail = json.dumps({"metadata": {"event_id": "e" * 36, "schema_version": "1.1"},
                             "data": {"payment_id": "pay_" + "a" * 32, "amount": 2500, "note": "x" * 1200}})

        def put(k: int) -> float:
            start = time.process_time()
            ev.put_events(Entries=[{"Source": "smartpay.payment", "DetailType": f"{TYPES[k % len(TYPES)]}.0",
                                    "Detail": detail, "EventBusName": "bus"}])
            spent = time.process_time() - start
            if k % 20 == 19:  # drain like the workers do (not timed), so queues stay as short as in a stack
                for url in urls[:len(TYPES)]:
                    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
                        sqs.delete_message_batch(QueueUrl=url, Entries=[
                            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
            return spent

        for k in range(20):
            put(k)
        spent = sum(put(k) for k in track(range(events), description="PutEvents", transient=True))
        return spent * 1000 / events


def run() -> bool:
    original = jsonpath_ng.ext.parse
    try:
        baseline = _cpu_ms_per_put(EVENTS)
        moto_server.cache_event_paths()
        cached = _cpu_ms_per_put(EVENTS)
    finally:
        jsonpath_ng.ext.parse = original
    ratio = baseline / cached
    result = {"events": EVENTS, "rules": RULES, "cpu_ms_per_put_events": {"moto": round(baseline, 2),
                                                                          "cached_paths": round(cached, 2)},
              "ratio": round(ratio, 2)}
    section = f"""## moto event delivery (`bench/bench_moto_events.py`)

CPU per PutEvents on a bus shaped like the stack's ({RULES} rules with an SQS target each, plus the archive; each
event matches one rule and the archive), moto in process, {EVENTS} events, CPU time of this process around each PutEvents (the drain between them is not counted):

| moto | CPU ms per PutEvents |
|---|---|
| as released (baseline, same run) | {baseline:.2f} |
| with the stack's jsonpath cache (`moto_server.cache_event_paths`) | {cached:.2f} |

The cache cuts moto's CPU per event delivery {ratio:.1f}x: moto's `EventTemplateParser.parse` compiles eight
JSONPath expressions per matched target with jsonpath_ng, whose PLY parser rebuilds its tables on every call.
A saga publishes 7 events (8 deliveries plus 7 archive copies), all on moto's single, GIL-bound process, which
bench_saga found to be the throughput bottleneck."""
    report.write("moto_events", result, section)
    print(f"moto PutEvents CPU: {baseline:.2f} ms -> {cached:.2f} ms ({ratio:.1f}x)")
    return cached < baseline


if __name__ == "__main__":
    run()
