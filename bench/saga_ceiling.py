"""What the emulator itself can carry: a saga's own call mix, replayed raw against the stack's moto.

The stack's moto counts what it answers per API action (`GET /_smartpay/requests`,
smartpay_shared.local.moto_server). Over sagas run one at a time, the difference of two counts divided
by the sagas gives one saga's call mix: its PutEvents, its delete calls, its DynamoDB calls; its queue deliveries come from
the saga's own events and the manifests' subscriptions (bench_saga's hop count), since the workers coalesce
deletes across invocations (one DeleteMessageBatch may carry several deliveries). `Ceiling` replays that
mix with bare boto3 calls and no service code: PutEvents on the stack's bus (every platform rule is
evaluated) fanning out through rules of its own into a queue of its own as many deliveries as the
saga's, a receive per delivery and as many delete calls as the saga's, and the DynamoDB calls on scratch items of a payment record's
size in the payments table. Idle traffic (empty long polls, the sweeper's scans, X-Ray, Cognito) is
not replayed. From `threads` threads at once for `seconds`: sagas/s = the most this emulator carries
of that mix at that concurrency, the baseline the sustained throughput is compared with."""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from typing import Any

import boto3
import requests

SOURCE = "bench.ceiling"
RECORD = "x" * 4096  # a payment record is 3-5 kB of JSON
DYNAMO_REPLAYED = ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query")


def stats(endpoint: str) -> dict[str, dict[str, float]]:
    return requests.get(endpoint + "/_smartpay/requests", timeout=10).json()


def delta(after: dict[str, dict[str, float]], before: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for action, now in after.items():
        then = before.get(action, {"n": 0, "seconds": 0.0})
        if now["n"] > then["n"]:
            out[action] = {"n": now["n"] - then["n"], "seconds": round(now["seconds"] - then["seconds"], 6)}
    return out


def per_saga_mix(counted: dict[str, dict[str, float]], sagas: int, deliveries: float | None = None) -> dict[str, float]:
    """One saga's replayed calls: PutEvents, deliveries (`deliveries` per saga; without it, one per delete call,
    as when every delivery was deleted on its own), delete calls, and the DynamoDB actions above."""
    n = {action: v["n"] for action, v in counted.items()}
    deletes = (n.get("AmazonSQS.DeleteMessage", 0) + n.get("AmazonSQS.DeleteMessageBatch", 0)) / sagas
    mix = {"PutEvents": n.get("AWSEvents.PutEvents", 0) / sagas,
           "deliveries": deletes if deliveries is None else max(deliveries, deletes), "deletes": deletes}
    for action in DYNAMO_REPLAYED:
        mix[action] = n.get(f"DynamoDB.{action}", 0) / sagas
    return {k: round(v, 2) for k, v in mix.items()}


LONG_POLLS = ("AmazonSQS.ReceiveMessage",)  # their time is mostly waiting for a message, by design


def where_time_goes(counted: dict[str, dict[str, float]], top: int = 8) -> list[dict[str, Any]]:
    """The actions the emulator spent the most time answering (seconds summed over its threads; a
    DynamoDB call's time includes waiting for the server's DynamoDB lock), long polls left out."""
    rows = sorted(((a, v) for a, v in counted.items() if a not in LONG_POLLS), key=lambda kv: -kv[1]["seconds"])[:top]
    return [{"action": a, "n": int(v["n"]), "seconds": v["seconds"],
             "mean_ms": round(1000 * v["seconds"] / v["n"], 2)} for a, v in rows]


def delete_groups(handles: list[str], calls: int) -> list[list[str]]:
    """`handles` split into `calls` delete calls as even as they come (at most 10 each, SQS's batch limit)."""
    calls = max(calls, -(-len(handles) // 10), 1)
    groups = [handles[i::calls] for i in range(calls)]
    return [g for g in groups if g]


class Ceiling:
    def __init__(self, endpoint: str, bus: str, table: str, mix: dict[str, float]):
        kw = dict(endpoint_url=endpoint, region_name="us-east-1")
        self.events, self.sqs, self.db = boto3.client("events", **kw), boto3.client("sqs", **kw), \
            boto3.client("dynamodb", **kw)
        self.endpoint, self.bus, self.table, self.mix = endpoint, bus, table, mix
        self.name = f"bench-ceiling-{uuid.uuid4().hex[:6]}"
        self.puts = max(1, round(mix["PutEvents"]))
        deliveries = max(self.puts, round(mix["deliveries"]))
        # Each put fans out to k deliveries: rule j matches the detail types f<k> for every k >= j.
        self.fanouts = [deliveries // self.puts + (1 if i < deliveries % self.puts else 0) for i in range(self.puts)]
        self.rules = [f"{self.name}-r{j}" for j in range(1, max(self.fanouts) + 1)]
        self.deletes = max(1, min(deliveries, round(mix.get("deletes", deliveries))))  # delete calls per saga

    def __enter__(self) -> Ceiling:
        self.url = self.sqs.create_queue(QueueName=self.name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        top = len(self.rules)
        for j, rule in enumerate(self.rules, start=1):
            pattern = {"source": [SOURCE], "detail-type": [f"f{k}" for k in range(j, top + 1)]}
            self.events.put_rule(Name=rule, EventBusName=self.bus, EventPattern=json.dumps(pattern))
            self.events.put_targets(Rule=rule, EventBusName=self.bus, Targets=[{"Id": "q", "Arn": arn}])
        return self

    def __exit__(self, *_: object) -> None:
        for rule in self.rules:
            self.events.remove_targets(Rule=rule, EventBusName=self.bus, Ids=["q"])
            self.events.delete_rule(Name=rule, EventBusName=self.bus)
        self.sqs.delete_queue(QueueUrl=self.url)

    def _dynamo(self, key: dict[str, Any], version: list[int], calls: dict[str, int]) -> None:
        for action, count in calls.items():
            for _ in range(count):
                if action == "GetItem":
                    self.db.get_item(TableName=self.table, Key=key, ConsistentRead=True)
                elif action == "PutItem":
                    self.db.put_item(TableName=self.table, Item={**key, "version": {"N": str(version[0])},
                                                                  "record": {"S": RECORD}})
                elif action == "UpdateItem":  # conditional on the version read, as every transition is
                    self.db.update_item(
                        TableName=self.table, Key=key, UpdateExpression="SET #v = :nv, #r = :r",
                        ConditionExpression="#v = :ev", ExpressionAttributeNames={"#v": "version", "#r": "record"},
                        ExpressionAttributeValues={":nv": {"N": str(version[0] + 1)}, ":r": {"S": RECORD},
                                                   ":ev": {"N": str(version[0])}})
                    version[0] += 1
                elif action == "DeleteItem":
                    self.db.delete_item(TableName=self.table, Key=key)
                    self.db.put_item(TableName=self.table, Item={**key, "version": {"N": str(version[0])}})
                elif action == "Query":
                    self.db.query(TableName=self.table, KeyConditionExpression="payment_id = :k",
                                  ExpressionAttributeValues={":k": key["payment_id"]})

    def _saga(self, key: dict[str, Any], version: list[int], calls: dict[str, int]) -> None:
        for k in self.fanouts:
            self.events.put_events(Entries=[{"Source": SOURCE, "DetailType": f"f{k}", "EventBusName": self.bus,
                                             "Detail": json.dumps({"record": RECORD[:1500]})}])
        self._dynamo(key, version, calls)
        handles = []
        for _ in range(sum(self.fanouts)):
            got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=1, WaitTimeSeconds=1)
            handles += [m["ReceiptHandle"] for m in got.get("Messages", [])]
        for group in delete_groups(handles, self.deletes):
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(group)])

    def run(self, threads: int, seconds: float) -> dict[str, Any]:
        done, lock, stop = [0], threading.Lock(), time.monotonic() + seconds
        before = stats(self.endpoint)

        def loop(who: int) -> None:
            key = {"payment_id": {"S": f"bench#ceiling#{self.name}#{who}"}}
            version = [0]
            self.db.put_item(TableName=self.table, Item={**key, "version": {"N": "0"}, "record": {"S": RECORD}})
            owed = dict.fromkeys(DYNAMO_REPLAYED, 0.0)  # a mean of 6.4 calls: 6 or 7 per saga, 6.4 on average
            while time.monotonic() < stop:
                calls = {}
                for a in DYNAMO_REPLAYED:
                    owed[a] += self.mix[a]
                    calls[a] = math.floor(owed[a])
                    owed[a] -= calls[a]
                self._saga(key, version, calls)
                with lock:
                    done[0] += 1
            self.db.delete_item(TableName=self.table, Key=key)

        started = time.monotonic()
        pool = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.monotonic() - started
        counted = delta(stats(self.endpoint), before)
        return {"threads": threads, "seconds": round(elapsed, 1), "sagas": done[0],
                "sagas_per_s": round(done[0] / elapsed, 2), "puts_per_saga": self.puts,
                "deliveries_per_saga": sum(self.fanouts), "delete_calls_per_saga": self.deletes, "emulator_time": where_time_goes(counted)}
