"""The chat indexer worker's CPU per saga, as the stack runs it (issue #14): the Lambda handler of
`smartpay_chat.entrypoints.queue_consumer`, one SQS record per invocation (Terraform's `batch_size` 1), over a
`SharedFileDuckDBIndex` held across batches with its refresh timer publishing deltas, the embedding model on.
Each saga is its `payment.requested` (a new pending row) and, `GAP` seconds later, its `payment.completed` (the
terminal version), delivered open loop at `--rate` sagas a second. `payment.indexed` is handed to a no-op
publisher (EventBridge's client CPU is not the index's). The index file is pre-filled with `--prefill` payments
(rows and vectors), the model's per-text cache starts cold (the terminal texts are new to it, as in the stack).

CPU is the process's (`time.process_time`: every thread, DuckDB's and the refresh timer's included) from the
first event to the end of the final publish, over the sagas; "embed" is the part spent in the embedding model.
The run checks what readers see at the end (the published copy): every saga's payment at its terminal version.

A/B, same run, interleaved: `python bench/bench_chat_worker.py --src A=/work/main/services/chat
--src B=services/chat` runs each source tree (PYTHONPATH first) `--rounds` times in a child process, one after
the other, and prints each run and the best-of ratios. Prints only; writes no results file."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GAP = 0.25  # seconds between a saga's payment.requested and its payment.completed


class _Context:
    function_name, memory_limit_in_mb, invoked_function_arn, aws_request_id = "chat", 512, "arn:bench", "r"


def _events(count: int, prefix: str):
    from smartpay_shared.events import Producer, new_envelope
    from smartpay_shared.events.payloads import PaymentCompleted, PaymentMethod, PaymentRequested
    from smartpay_shared.runtime.publisher import to_entry
    from smartpay_shared.runtime.worker import to_lambda_record

    from smartpay_chat import evaluation as ev
    from smartpay_chat.synthetic import snapshots

    producer = Producer(service="payment", version="0.1.0")

    def record(envelope, n):
        detail = json.loads(to_entry(envelope, "smartpay-bus")["Detail"])
        body = {"version": "0", "id": f"e{n}", "detail-type": envelope.event_type, "source": "smartpay.payment",
                "account": "000000000000", "time": "2026-12-06T00:00:00Z", "region": "us-east-1", "resources": [],
                "detail": detail}
        message = {"MessageId": f"m{n}", "ReceiptHandle": f"h{n}", "Body": json.dumps(body),
                   "Attributes": {"ApproximateReceiveCount": "1"}}
        return {"Records": [to_lambda_record(message, "arn:aws:sqs:us-east-1:000000000000:chat", "us-east-1")]}

    out = []
    for i, (merchant, payment_id, snap) in enumerate(snapshots(count, now=ev.NOW, seed=41)):
        payment_id = payment_id.replace("SYN", prefix)
        snap = snap.model_copy(update={"version": max(2, snap.version)})
        if snap.status not in ("captured", "declined", "failed"):
            snap = snap.model_copy(update={"status": "captured", "refunded_amount": 0})
        requested = PaymentRequested(
            payment_id=payment_id, merchant_id=merchant, currency=snap.currency, amount=snap.amount,
            customer_id=snap.customer_id, country=snap.country, merchant_category=snap.merchant_category,
            payment_method=PaymentMethod(type=snap.method, token="tok_bench",
                                         last4=snap.card_last4 if snap.method == "card" else None))
        completed = PaymentCompleted(payment_id=payment_id, merchant_id=merchant, status=snap.status, payment=snap)
        out.append((record(new_envelope(requested, producer=producer, correlation_id=payment_id,
                                        occurred_at=snap.created_at), 2 * i),
                    record(new_envelope(completed, producer=producer, correlation_id=payment_id), 2 * i + 1),
                    (merchant, payment_id, snap.version)))
    return out


def _prefill(path: Path, count: int) -> None:
    import dataclasses

    from smartpay_chat import evaluation as ev
    from smartpay_chat.adapters import duckdb_search
    from smartpay_chat.adapters.duckdb_index import TABLE, DuckDBPaymentIndex

    index = DuckDBPaymentIndex(path)
    index.upsert_many([dataclasses.replace(d, payment_id=d.payment_id.replace("SYN", "OLD"))
                       for d in ev.documents(count, seed=5)])
    index._db.execute(f"INSERT INTO {duckdb_search.VECTORS} SELECT merchant_id, payment_id, 'prefill', "
                      f"list_transform(range({duckdb_search.VECTOR_DIM}), lambda x: random())"
                      f"::FLOAT[{duckdb_search.VECTOR_DIM}] FROM {TABLE}")
    index.close()


def child(rate: float, seconds: float, prefill: int, profile: str | None) -> dict:
    import logging

    from smartpay_chat.adapters import embeddings
    from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
    from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
    from smartpay_chat.entrypoints import queue_consumer

    logging.disable(logging.INFO)  # the worker's per-record log lines: the same on both sides, not the index's
    embedder, reason = embeddings.load()
    if embedder is None:
        raise SystemExit(f"the bench needs the embedding model: {reason}")
    embedded = [0.0]
    embed = embedder.embed

    def timed_embed(texts):
        t0 = time.thread_time()
        try:
            return embed(texts)
        finally:
            embedded[0] += time.thread_time() - t0

    embedder.embed = timed_embed
    sagas = int(rate * seconds)
    events = _events(sagas, "BEN")
    timeline = sorted([(i / rate, 0, e[0]) for i, e in enumerate(events)] +
                      [(i / rate + GAP, 1, e[1]) for i, e in enumerate(events)], key=lambda x: (x[0], x[1]))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "payments.duckdb"
        _prefill(path, prefill)
        index = SharedFileDuckDBIndex(path, embedder=embedder)
        queue_consumer.index = lambda: index
        published = []
        queue_consumer._publish = published.append
        embedder.embed(["warm the model"])  # its first call loads kernels: not per saga
        embedded[0] = 0.0
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile(time.thread_time)  # CPU of the handler thread
            profiler.enable()
        cpu0, wall0 = time.process_time(), time.monotonic()
        for at, _, event in timeline:
            delay = wall0 + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            result = queue_consumer.lambda_handler(event, _Context())
            assert not (result or {}).get("batchItemFailures"), result
        index.close()  # the last publish
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        manifest = json.loads((Path(tmp) / "payments.read.json").read_text())  # the publishes: sequence per base
        reader = DuckDBPaymentIndex(path, read_only=True)
        stored = dict(((m, p), v) for m, p, v in reader._db.execute(
            "SELECT merchant_id, payment_id, version FROM payments WHERE payment_id LIKE 'pay_BEN%'").fetchall())
        vectors = reader._db.execute(
            "SELECT count(*) FROM payment_vectors WHERE payment_id LIKE 'pay_BEN%'").fetchone()[0]
        reader.close()
    complete = all(stored.get((m, p)) == v for _, _, (m, p, v) in events) and len(stored) == sagas
    return {"sagas": sagas, "events": 2 * sagas, "wall_s": round(wall, 2), "cpu_s": round(cpu, 3),
            "cpu_ms_per_saga": round(1000 * cpu / sagas, 2), "embed_ms_per_saga": round(1000 * embedded[0] / sagas, 2),
            "publishes": {"bases": manifest["generation"], "last_delta_sequence": manifest["sequence"]},
            "indexed_published": len(published), "terminal_rows": len(stored), "terminal_vectors": vectors,
            "complete": complete}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=8.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--prefill", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--src", action="append", default=[], help="NAME=path of a services/chat tree")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--profile")
    args = parser.parse_args()
    if args.child or not args.src:
        print(json.dumps(child(args.rate, args.seconds, args.prefill, args.profile)))
        return
    runs: dict[str, list[dict]] = {}
    for round_ in range(args.rounds):
        for spec in args.src:
            name, src = spec.split("=", 1)
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(src).resolve()), os.environ.get(
                "PYTHONPATH", "")])}
            cmd = [sys.executable, __file__, "--child", "--rate", str(args.rate), "--seconds", str(args.seconds),
                   "--prefill", str(args.prefill)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            runs.setdefault(name, []).append(result)
            print(f"round {round_} {name}: {json.dumps(result)}", flush=True)
    names = [spec.split("=", 1)[0] for spec in args.src]
    best = {n: min(r["cpu_ms_per_saga"] for r in runs[n]) for n in names}
    print(json.dumps({"best_cpu_ms_per_saga": best, "load": os.getloadavg(),
                      "ratio": {n: round(best[n] / best[names[0]], 3) for n in names}}))


if __name__ == "__main__":
    main()
