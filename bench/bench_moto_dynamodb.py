"""moto's CPU per request, moto as released against the stack's moto (smartpay_shared.local.moto_server), each
variant in a fresh process, interleaved; thread CPU (`thread_time`) of the server's request thread only: no client,
no other load on the machine.

1. UpdateItem validation: the payment record's conditional UpdateItem with the shape `DynamoPaymentRepository.save`
   sends (11 SET actions, two of them into the outbox map, conditional on the version), then the outbox clear
   (2 REMOVE actions); moto's DynamoDB handler only, in process (`fast_update_validation`).
2. Per request: the stack's common calls (GetItem, PutItem, UpdateItem, Query and BatchGetItem on an item of 32
   attributes; SQS SendMessage, ReceiveMessage of up to 10, DeleteMessageBatch; EventBridge PutEvents to a bus of
   10 rules with SQS targets) over HTTP to a cheroot server in this process (one request thread), the whole WSGI
   app measured: moto as released (`DomainDispatcherApplication`), the stack's app with the patches of session 12
   only (`before`), and the stack's app as it is (`wsgi_app`).

    python -m bench moto_dynamodb          (BENCH_MOTO_DYNAMODB_WRITES, default 400; BENCH_MOTO_REQUESTS, default 300)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from bench import report

RECORD = json.dumps({f"k{i}": "v" * 40 for i in range(80)})  # a payment record is 3-5 kB of JSON
ENVELOPE = json.dumps({"metadata": {"a": "b" * 300}, "data": {"x": "y" * 600}})
SAVE = ("SET #s = :s, #v = :nv, #r = :r, #u = :u, merchant_id = :m, terminal = :terminal, pending_refunds = :pr, "
        "updated_ts = :oat, #o.#e0 = :e0, #o.#e1 = :e1, outbox_at = :oat")


WRITES = int(os.environ.get("BENCH_MOTO_DYNAMODB_WRITES", "400"))


def measure(writes: int, patched: bool) -> dict[str, float]:
    """Mean CPU ms of moto's UpdateItem handler over `writes` saves + `writes` outbox clears (after a warm-up)."""
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import boto3
    from moto import mock_aws
    from moto.dynamodb import responses

    if patched:
        from smartpay_shared.local.moto_server import fast_update_validation

        fast_update_validation()
    handler, spent = responses.DynamoHandler.update_item, {"save": [0.0, 0], "clear": [0.0, 0]}

    def timed(self):  # noqa: ANN001, ANN202 - moto's handler signature
        kind = "save" if "SET" in self.body.get("UpdateExpression", "") else "clear"
        started = time.thread_time()
        try:
            return handler(self)
        finally:
            spent[kind][0] += time.thread_time() - started
            spent[kind][1] += 1

    responses.DynamoHandler.update_item = timed
    names = {"#s": "state", "#v": "version", "#r": "record", "#u": "updated_at", "#o": "outbox", "#e0": "e0", "#e1": "e1"}
    with mock_aws():
        db = boto3.client("dynamodb", region_name="us-east-1")
        db.create_table(TableName="payments", KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
        key = {"payment_id": {"S": "pay_bench"}}
        db.update_item(TableName="payments", Key=key, UpdateExpression="SET #v = :v, #o = :o",
                       ExpressionAttributeNames={"#v": "version", "#o": "outbox"},
                       ExpressionAttributeValues={":v": {"N": "0"}, ":o": {"M": {}}})
        for version in range(writes + 20):
            if version == 20:  # warm-up done
                spent = {"save": [0.0, 0], "clear": [0.0, 0]}
            db.update_item(TableName="payments", Key=key, UpdateExpression=SAVE, ConditionExpression="#v = :ev",
                           ExpressionAttributeNames=names, ExpressionAttributeValues={
                               ":s": {"S": "ROUTED"}, ":nv": {"N": str(version + 1)}, ":r": {"S": RECORD},
                               ":u": {"S": "2026-12-06T00:00:00+00:00"}, ":m": {"S": "m_bench"},
                               ":terminal": {"BOOL": False}, ":oat": {"N": "1.5"}, ":pr": {"N": "0"},
                               ":ev": {"N": str(version)}, ":e0": {"S": ENVELOPE}, ":e1": {"S": ENVELOPE}})
            db.update_item(TableName="payments", Key=key, UpdateExpression="REMOVE #o.#e0, #o.#e1",
                           ExpressionAttributeNames={"#o": "outbox", "#e0": "e0", "#e1": "e1"})
        item = db.get_item(TableName="payments", Key=key)["Item"]
        assert item["version"]["N"] == str(writes + 20) and item["outbox"]["M"] == {}, "the writes did not apply"
    return {kind: round(t / n * 1000, 3) for kind, (t, n) in spent.items()}


REQUESTS = int(os.environ.get("BENCH_MOTO_REQUESTS", "300"))
VARIANTS = ("moto", "before", "stack")


def app_for(variant: str):  # noqa: ANN201 - a WSGI app
    """moto as released, the stack's app before this session's patches, or the stack's app as it is."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from smartpay_shared.local import moto_server as ms

    if variant == "moto":
        return DomainDispatcherApplication(create_backend_app)
    if variant == "stack":
        return ms.wsgi_app()
    for patch in (ms.cache_event_paths, ms.cache_action_names, ms.fast_update_validation, ms.item_level_transactions,
                  ms.fast_queue_attributes):  # wsgi_app's patches before session 13 (same middlewares)
        patch()
    dispatcher, _ = ms.server_classes()
    return ms.ServerErrorLog(ms.RequestStats(ms.SerialDynamoDB(dispatcher(create_backend_app))))


def measure_requests(requests: int, variant: str) -> dict[str, float]:
    """Mean CPU ms of the whole WSGI app per request, per action, over `requests` rounds of the call mix."""
    import socket
    import threading

    import boto3
    from botocore.config import Config

    from smartpay_shared.local import moto_server as ms

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_ENDPOINT_URL", None)
    spent: dict[str, list[float]] = {}
    counting = [False]
    app = app_for(variant)

    def measured(environ, start_response):  # noqa: ANN001, ANN202 - WSGI
        started = time.thread_time()
        try:
            return list(app(environ, start_response))
        finally:
            if counting[0]:
                entry = spent.setdefault(ms.action_of(environ), [0, 0.0])
                entry[0] += 1
                entry[1] += time.thread_time() - started

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ms.keep_alive_server(measured, "127.0.0.1", port, threads=1)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    kw = dict(endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1", config=Config(retries={"max_attempts": 1}))
    db, sqs, ev = boto3.client("dynamodb", **kw), boto3.client("sqs", **kw), boto3.client("events", **kw)
    db.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                          {"AttributeName": "sk", "AttributeType": "S"}])
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    ev.create_event_bus(Name="bus")
    for i in range(10):
        ev.put_rule(Name=f"r{i}", EventBusName="bus", EventPattern=json.dumps({"source": ["s"], "detail-type": [f"t{i}"]}))
        ev.put_targets(Rule=f"r{i}", EventBusName="bus", Targets=[{"Id": "sqs", "Arn": arn}])
    record = {f"a{i}": {"S": "v" * 40} for i in range(30)} | {"n": {"N": "3"}, "m": {"M": {"x": {"S": "y"}}}}
    body = json.dumps({"metadata": {"event_id": "e" * 36}, "data": {"x": "y" * 1200}})

    def round_of(k: int) -> None:
        key = {"pk": {"S": f"p{k % 20}"}, "sk": {"S": "rec"}}
        db.put_item(TableName="t", Item={**key, **record})
        db.get_item(TableName="t", ConsistentRead=True, Key=key)
        db.update_item(TableName="t", Key=key, UpdateExpression="SET #n = :n, a1 = :a",
                       ConditionExpression="attribute_exists(pk)", ExpressionAttributeNames={"#n": "n"},
                       ExpressionAttributeValues={":n": {"N": str(k)}, ":a": {"S": "w"}})
        db.query(TableName="t", KeyConditionExpression="pk = :p", ConsistentRead=True,
                 ExpressionAttributeValues={":p": key["pk"]})
        db.batch_get_item(RequestItems={"t": {"ConsistentRead": True, "Keys": [
            {"pk": {"S": f"p{(k + j) % 20}"}, "sk": {"S": "rec"}} for j in range(4)]}})
        sqs.send_message(QueueUrl=queue, MessageBody=body)
        ev.put_events(Entries=[{"Source": "s", "DetailType": f"t{k % 10}", "Detail": body, "EventBusName": "bus"}])
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                  AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if got:
            sqs.delete_message_batch(QueueUrl=queue, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])

    for k in range(30):  # warm-up
        round_of(k)
    counting[0] = True
    for k in range(requests):
        round_of(k)
    counting[0] = False
    server.stop()
    return {action: round(t / n * 1000, 3) for action, (n, t) in sorted(spent.items())}


def _in_fresh_processes(kind: str, variants: tuple[str, ...], rounds: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    for _ in range(rounds):
        for variant in variants:  # interleaved, each in a fresh process
            out = subprocess.run([sys.executable, "-m", "bench.bench_moto_dynamodb"], check=True, capture_output=True,
                                 text=True, env={**os.environ, "_BENCH_ONE": f"{kind}:{variant}"}).stdout
            for name, ms in json.loads(out.strip().splitlines()[-1]).items():
                results.setdefault(variant, {}).setdefault(name, []).append(ms)
    return results


def run() -> bool:
    results = _in_fresh_processes("update", ("stock", "patched"), 2)
    best = {variant: {kind: min(ms) for kind, ms in kinds.items()} for variant, kinds in results.items()}
    ratio = {kind: round(best["patched"][kind] / best["stock"][kind], 3) for kind in best["stock"]}
    per_request = _in_fresh_processes("requests", VARIANTS, 2)
    fastest = {variant: {action: min(ms) for action, ms in actions.items()} for variant, actions in per_request.items()}
    actions = sorted(fastest["stack"])
    request_ratio = {action: {"stack_over_moto": round(fastest["stack"][action] / fastest["moto"][action], 3),
                              "stack_over_before": round(fastest["stack"][action] / fastest["before"][action], 3)}
                     for action in actions}
    totals = {variant: round(sum(fastest[variant][a] for a in actions), 3) for variant in VARIANTS}
    result = {"writes": WRITES, "cpu_ms_per_update_item": best, "runs": results, "ratio_patched_over_stock": ratio,
              "requests": REQUESTS, "cpu_ms_per_request": fastest, "request_runs": per_request,
              "request_ratios": request_ratio, "cpu_ms_per_round": totals}
    rows = "\n".join(f"| {a} | {fastest['moto'][a]} ms | {fastest['before'][a]} ms | {fastest['stack'][a]} ms | "
                     f"{request_ratio[a]['stack_over_before']} | {request_ratio[a]['stack_over_moto']} |" for a in actions)
    section = f"""## moto per request and UpdateItem validation (`bench/bench_moto_dynamodb.py`)

**Per request.** CPU of the whole WSGI app (thread CPU of cheroot's request thread, in process: no client, no
other load) per call, {REQUESTS} rounds of the stack's common calls (an item of 32 attributes; a BatchGetItem of 4
keys; SQS messages of 1.3 kB; PutEvents to a bus of 10 rules with SQS targets), best of 2 fresh processes per
variant, interleaved: moto as released, the stack's app with the patches it had before session 13 (`before`), and
the stack's app now (DynamoDB answers and requests written without moto's per-member shape walk, an item's size
summed once per attribute, name conversions memoised: `smartpay_shared.local.moto_server`).

| call | moto as released | stack before | stack now | now / before | now / moto |
|---|---|---|---|---|---|
{rows}
| **one round of all {len(actions)}** | {totals['moto']} ms | {totals['before']} ms | {totals['stack']} ms | {round(totals['stack'] / totals['before'], 3)} | {round(totals['stack'] / totals['moto'], 3)} |

**UpdateItem validation.** CPU of moto's DynamoDB UpdateItem handler (in process, `thread_time` of the handler
only) for the payment record's write as `DynamoPaymentRepository.save` sends it (11 SET actions, 2 into the outbox
map, conditional on the version) and its outbox clear (2 REMOVE actions), {WRITES} of each, best of 2 fresh
processes per variant, interleaved: moto as released, and with the stack's `fast_update_validation` (two
validators run only at the nodes that can hold a clause, in moto's order; one class map per walk; each expression
text parsed once).

| write | moto as released | stack's moto | ratio |
|---|---|---|---|
| save (11 SETs, conditional) | {best["stock"]["save"]} ms | {best["patched"]["save"]} ms | {ratio["save"]} |
| outbox clear (2 REMOVEs) | {best["stock"]["clear"]} ms | {best["patched"]["clear"]} ms | {ratio["clear"]} |
"""
    report.write("moto_dynamodb", result, section)
    return ratio["save"] < 1 and totals["stack"] < totals["before"]


def main() -> None:
    if os.environ.get("_BENCH_ONE"):
        kind, _, variant = os.environ["_BENCH_ONE"].rpartition(":")
        if kind == "requests":
            print(json.dumps(measure_requests(REQUESTS, variant)))
        else:
            print(json.dumps(measure(WRITES, variant == "patched")))
        sys.stdout.flush()
        os._exit(0)  # cheroot's worker threads are not daemons
    run()


if __name__ == "__main__":
    main()
