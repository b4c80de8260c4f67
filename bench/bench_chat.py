"""Chat benchmark: the evaluation set (>= 80 questions, expected answers from independent code over the
documents) per family, then the 100,000-document embedded index: bulk and single-document index throughput,
and answer latency p50/p95 (planner + engine + template) with the file held and opened per call (the API)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import report

from smartpay_chat import evaluation as ev
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import DeterministicPlanner

TARGET_ACCURACY, TARGET_P95_MS = 0.95, 50.0
N_DOCS = int(os.environ.get("BENCH_CHAT_DOCS", "100000"))
QUESTIONS = ["how much did we take on Stripe yesterday?", "approval rate by gateway this week",
             "top 5 decline reasons for EUR card payments last month", "p95 latency last 30 days",
             "how many payments by status last month", "refund rate in October", "net revenue last month",
             "decline rate through Amazon Pay last week", "volume per day this week", "count of payments by country"]


def _chat() -> Chat:
    return Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)


def _latencies(index, rounds: int) -> list[float]:
    chat, samples = _chat(), []
    for _ in range(rounds):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            answer = ask(chat, index, ev.MERCHANT, q, None)
            samples.append((time.perf_counter() - t0) * 1000)
            assert answer["kind"] == "aggregate", (q, answer["answer"])
    return samples


def run() -> bool:
    docs = ev.documents(3000)
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)
    chat = _chat()
    quality = ev.evaluate(docs, lambda q, s: ask(chat, index, ev.MERCHANT, q, s))
    index.close()

    t0 = time.perf_counter()
    big = list(ev.documents(N_DOCS, seed=21))
    build_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "payments.duckdb"
        held = DuckDBPaymentIndex(path)
        t0 = time.perf_counter()
        held.upsert_many(big)
        bulk_s = time.perf_counter() - t0
        sample = list(ev.documents(300, seed=99))
        t0 = time.perf_counter()
        for doc in sample:
            held.upsert(doc)
        single_s = time.perf_counter() - t0
        _latencies(held, 1)  # warm-up
        held_ms = _latencies(held, 10)
        held.close()
        per_call_ms = _latencies(SharedFileDuckDBIndex(path, read_only=True), 3)

    held_p, call_p = report.percentiles(held_ms), report.percentiles(per_call_ms)
    p95 = statistics.quantiles(held_ms, n=100, method="inclusive")[94]
    call_p95 = statistics.quantiles(per_call_ms, n=100, method="inclusive")[94]
    passed = quality["accuracy"] >= TARGET_ACCURACY and p95 <= TARGET_P95_MS
    result = {
        "evaluation": {k: v for k, v in quality.items()},
        "documents": N_DOCS, "document_build_per_s": round(N_DOCS / build_s),
        "index_bulk_docs_per_s": round(N_DOCS / bulk_s), "index_single_upsert_docs_per_s": round(300 / single_s),
        "answer_latency_held_ms": {**held_p, "p95_ms": round(p95, 3)},
        "answer_latency_per_call_open_ms": {**call_p, "p95_ms": round(call_p95, 3)},
        "targets": {"accuracy": TARGET_ACCURACY, "p95_ms": TARGET_P95_MS}, "passed": passed,
    }
    fam = "\n".join(f"| {f} | {v['exact']} / {v['questions']} | {v['accuracy']:.1%} |"
                    for f, v in quality["per_family"].items())
    section = f"""## Chat (embedded planner + DuckDB executor)

Evaluation set: {quality['questions']} questions on 3,000 synthetic payments (`smartpay_chat/evaluation.py`);
expected answers computed by independent Python over the documents, not by the planner or the executor.
Exact answers: **{quality['exact']} / {quality['questions']} ({quality['accuracy']:.1%})**, target >= 95%.
Misses that returned a wrong figure: {quality['wrong_figures']}; misses refused instead: {quality['refused_instead']}.
The `paraphrase` family was written after the grammar and not tuned against it; the other families use the
phrasings the grammar was built for, so their score is an in-distribution figure.

| family | exact | accuracy |
|---|---|---|
{fam}

{N_DOCS:,} documents (two merchants, one DuckDB file):

| measure | value |
|---|---|
| index, bulk (`upsert_many`, reindex path) | {result['index_bulk_docs_per_s']:,} docs/s |
| index, one document per transaction (the indexer's path, file held) | {result['index_single_upsert_docs_per_s']:,} docs/s |
| answer latency, file held (planner + SQL + template), p50 / p95 | {held_p['p50_ms']:.1f} / {p95:.1f} ms (target p95 <= {TARGET_P95_MS:.0f} ms) |
| answer latency, file opened read-only per call (the API's path), p50 / p95 | {call_p['p50_ms']:.1f} / {call_p95:.1f} ms |

{len(held_ms)} answers over {len(QUESTIONS)} questions (held), {len(per_call_ms)} (per call). Target met: {'yes' if passed else 'no'}."""
    report.write("chat", result, section)
    print(section)
    return passed
