"""moto's CPU for the payment record's conditional UpdateItem, moto as released against moto with the stack's
`smartpay_shared.local.moto_server.fast_update_validation` (one process each, interleaved, in-process moto; the
CPU time of moto's DynamoDB handler only, `thread_time`: no HTTP, no client, no other load on the machine). The
write has the shape `DynamoPaymentRepository.save` sends: 11 SET actions, two of them into the outbox map,
conditional on the version; then the outbox clear (2 REMOVE actions).

    python -m bench moto_dynamodb          (BENCH_MOTO_DYNAMODB_WRITES, default 400)
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


def run() -> bool:
    results: dict[str, dict[str, list[float]]] = {}
    for variant in ("stock", "patched", "stock", "patched"):  # interleaved, each in a fresh process
        out = subprocess.run([sys.executable, "-m", "bench.bench_moto_dynamodb"], check=True, capture_output=True,
                             text=True, env={**os.environ, "_BENCH_ONE": variant}).stdout
        for kind, ms in json.loads(out.strip().splitlines()[-1]).items():
            results.setdefault(variant, {}).setdefault(kind, []).append(ms)
    best = {variant: {kind: min(ms) for kind, ms in kinds.items()} for variant, kinds in results.items()}
    ratio = {kind: round(best["patched"][kind] / best["stock"][kind], 3) for kind in best["stock"]}
    result = {"writes": WRITES, "cpu_ms_per_update_item": best, "runs": results, "ratio_patched_over_stock": ratio}
    section = f"""## moto UpdateItem validation (`bench/bench_moto_dynamodb.py`)

CPU of moto's DynamoDB UpdateItem handler (in process, `thread_time` of the handler only) for the payment record's
write as `DynamoPaymentRepository.save` sends it (11 SET actions, 2 into the outbox map, conditional on the
version) and its outbox clear (2 REMOVE actions), {WRITES} of each, best of 2 fresh processes per variant,
interleaved: moto as released, and with the stack's `fast_update_validation` (two validators run only at the nodes
that can hold a clause, in moto's order; one class map per walk; each expression text parsed once).

| write | moto as released | stack's moto | ratio |
|---|---|---|---|
| save (11 SETs, conditional) | {best["stock"]["save"]} ms | {best["patched"]["save"]} ms | {ratio["save"]} |
| outbox clear (2 REMOVEs) | {best["stock"]["clear"]} ms | {best["patched"]["clear"]} ms | {ratio["clear"]} |
"""
    report.write("moto_dynamodb", result, section)
    return ratio["save"] < 1


def main() -> None:
    if os.environ.get("_BENCH_ONE"):
        print(json.dumps(measure(WRITES, os.environ["_BENCH_ONE"] == "patched")))
        return
    run()


if __name__ == "__main__":
    main()
