"""The API's index reader while the worker publishes (issue #17 item 6, without the stack): N payments of one
merchant in an embedded index with a published base, a writer process publishing as the chat worker does
(batches of 2 updated payments, a delta per refresh, a new base past DELTA_MAX_ROWS changed payments), and one
reader process per Python interpreter given (each tree's .venv: an A/B in the same run, side by side) asking the
gateway bench's 10 questions in a loop through `chat.ask` (planner, DuckDB, template; sessions in memory) over
`SharedFileDuckDBIndex(read_only=True)`, the API's reader. Prints per reader: answers, p50/p95/p99/max ms, the
first answer (the open) and the payment count at the end.

    python -m bench.chat_reader --docs 100000 --seconds 100 \\
        --python /work/main/.venv/bin/python --python .venv/bin/python

Prints only, writes nothing (the seeded index is in a temporary directory, or --dir to keep and reuse it)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.chat_gateway import MERCHANT, QUESTIONS


def _documents(count: int, seed: int) -> list:
    from smartpay_chat.domain.document import build_document
    from smartpay_chat.synthetic import snapshots

    return [build_document(m, p, s) for m, p, s in snapshots(count, now=datetime.now(UTC), seed=seed,
                                                               merchants=(MERCHANT,))]


def seed(path: Path, docs: int) -> None:
    from smartpay_chat.adapters import duckdb_shared
    from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex

    index = DuckDBPaymentIndex(path)
    index.upsert_many(_documents(docs, 17))
    index.checkpoint()
    index.close()
    with duckdb_shared.writer_lock(path):
        duckdb_shared.publish(path)


def write(path: Path, seconds: float, delta_max_rows: int) -> None:
    """The worker: batches of 2 updates held open between batches, publishing on its refresh interval."""
    from smartpay_chat.adapters import duckdb_shared

    duckdb_shared.DELTA_MAX_ROWS = delta_max_rows
    pool = _documents(3000, 99)
    writer = duckdb_shared.SharedFileDuckDBIndex(path, idle_close_seconds=3600)
    end, written = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        with writer.batch():
            for _ in range(2):
                doc = pool[written % len(pool)]
                written += 1
                writer.upsert(dataclasses.replace(doc, version=doc.version + written))
        time.sleep(0.1)
    writer.close()
    print(json.dumps({"updates": written, "generation": duckdb_shared.read_manifest(path)["generation"]}))


def read(path: Path, seconds: float) -> None:
    from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
    from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
    from smartpay_chat.service_layer.planner import DeterministicPlanner

    chat = Chat(planner=DeterministicPlanner(), sessions=InMemorySessions(), clock=lambda: datetime.now(UTC))
    api = SharedFileDuckDBIndex(path, read_only=True)
    started = time.perf_counter()
    ask(chat, api, MERCHANT, QUESTIONS[0], None)
    first_ms = (time.perf_counter() - started) * 1000
    samples, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        question = QUESTIONS[len(samples) % len(QUESTIONS)]
        started = time.perf_counter()
        answer = ask(chat, api, MERCHANT, question, None)
        samples.append((time.perf_counter() - started) * 1000)
        assert answer["kind"] == "aggregate", (question, answer["answer"])
        time.sleep(0.02)  # a client's think time: the reader's thread gets the CPU between questions too
    count = ask(chat, api, MERCHANT, "how many payments", None)["rows"][0]["value"]
    api.close()
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    print(json.dumps({"n": len(samples), "p50_ms": round(statistics.median(samples), 2), "p95_ms": round(cuts[94], 2),
                      "p99_ms": round(cuts[98], 2), "max_ms": round(max(samples), 1),
                      "first_answer_ms": round(first_ms, 1), "payments_at_end": int(count)}))


def run(docs: int, seconds: float, pythons: list[str], delta_max_rows: int, directory: Path) -> dict:
    path = directory / "payments.duckdb"
    if not path.exists():
        seed(path, docs)
    me = [sys.executable, "-m", "bench.chat_reader"]
    writer = subprocess.Popen([*me, "--write", str(path), "--seconds", str(seconds + 10),
                               "--delta-max-rows", str(delta_max_rows)], stdout=subprocess.PIPE, text=True)
    time.sleep(4)  # the writer holds the file and has published
    readers = [subprocess.Popen([python, "-m", "bench.chat_reader", "--read", str(path), "--seconds", str(seconds)],
                                stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
               for python in pythons]
    results = {python: json.loads(r.communicate()[0].strip().splitlines()[-1]) for python, r in zip(pythons, readers)}
    written = json.loads(writer.communicate()[0].strip().splitlines()[-1])
    return {"documents": docs, "seconds": seconds, "delta_max_rows": delta_max_rows, "writer": written,
            "readers": results, "load_average_at_end": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100000)
    parser.add_argument("--seconds", type=float, default=100)
    parser.add_argument("--delta-max-rows", type=int, default=2000, help="a new base past this many changes")
    parser.add_argument("--python", action="append", help="a reader per interpreter (default: this one)")
    parser.add_argument("--dir", type=Path, help="keep the seeded index here (reused when it exists)")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        write(args.write, args.seconds, args.delta_max_rows)
    elif args.read:
        read(args.read, args.seconds)
    elif args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        print(json.dumps(run(args.docs, args.seconds, args.python or [sys.executable], args.delta_max_rows,
                             args.dir), indent=2))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run(args.docs, args.seconds, args.python or [sys.executable], args.delta_max_rows,
                                 Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
