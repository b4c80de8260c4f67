"""Chat benchmark: the evaluation set (>= 80 questions, expected answers from independent code over the
documents) per family, then the 100,000-document embedded index: bulk and single-document index throughput,
answer latency p50/p95 (planner + engine + template) with the file held, through the API's path (a held
connection to the worker's publish: the base copy, then with a delta over it) and with the file opened per call
(the fallback), the
worker's write + publish cost, and hybrid search (BM25 + embeddings) latency when the embeddings extra is there.
Then issue #17 item 6 (`bench/chat_gateway.py`): the same number of payments in a private local stack, POST /chat
through the gateway while payments are taken and indexed, and the first answer of a new API environment after its
init (the warm-up at init): targets p95 <= 50 ms and first answer <= 1 s."""

from __future__ import annotations

import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench import chat_gateway, report

from smartpay_chat import evaluation as ev
from smartpay_chat import paraphrase_suite
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters import embeddings
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex, manifest_path, publish, read_manifest
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import DeterministicPlanner

TARGET_ACCURACY, TARGET_P95_MS, TARGET_FIRST_ANSWER_MS = 0.95, 50.0, 1000.0
N_DOCS = int(os.environ.get("BENCH_CHAT_DOCS", "100000"))
GATEWAY_ROUNDS = int(os.environ.get("BENCH_CHAT_GATEWAY_ROUNDS", "10"))
QUESTIONS = ["how much did we take on Stripe yesterday?", "approval rate by gateway this week",
             "top 5 decline reasons for EUR card payments last month", "p95 latency last 30 days",
             "how many payments by status last month", "refund rate in October", "net revenue last month",
             "decline rate through Amazon Pay last week", "volume per day this week", "count of payments by country"]


SEARCHES = ["find payments like insufficient funds", "find card payments like gateway timeout",
            "search for payments similar to blocked by the fraud check", "find EUR payments like velocity",
            "find payments like IP country differs from the card's"]


def _chat() -> Chat:
    return Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)


def _latencies(index, rounds: int, questions=QUESTIONS, kind="aggregate") -> list[float]:
    chat, samples = _chat(), []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            answer = ask(chat, index, ev.MERCHANT, q, None)
            samples.append((time.perf_counter() - t0) * 1000)
            assert answer["kind"] == kind, (q, answer["answer"])
    return samples


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def paraphrases(docs, index) -> dict:
    """The paraphrase suite (issue #17), each part scored on its own: tuning, and the held-out batches."""
    chat = _chat()
    out = {}
    for part in paraphrase_suite.PARTS:
        result = paraphrase_suite.run(part, docs, lambda q, s: ask(chat, index, ev.MERCHANT, q, s))
        out[part] = {k: v for k, v in result.items() if k != "misses"} | {
            "misses": [{"turns": m["turns"], "expected": m["expected"], "kind": m["kind"]} for m in result["misses"]]}
    return out


def run() -> bool:
    docs = ev.documents(3000)
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)
    chat = _chat()
    quality = ev.evaluate(docs, lambda q, s: ask(chat, index, ev.MERCHANT, q, s))
    suite = paraphrases(docs, index)
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
        embedder, no_vectors = embeddings.load()
        search = None
        if embedder is not None:  # vectors for the 100k documents (cached per distinct text), then search
            t0 = time.perf_counter()
            held._embedder = embedder
            held._bulk_vectors(big)
            vectors_s = time.perf_counter() - t0
            _latencies(held, 1, SEARCHES, "search")
            search_ms = _latencies(held, 4, SEARCHES, "search")
            search = {"vectors_docs_per_s": round(N_DOCS / vectors_s), "distinct_texts":
                      len({d.search_text for d in big}), "latency_ms": {**report.percentiles(search_ms),
                                                                       "p95_ms": round(_p95(search_ms), 3)}}
            held._embedder = None
        held.close()
        file_mb = path.stat().st_size / 1e6  # with the vectors when the embeddings extra is installed
        api = SharedFileDuckDBIndex(path, read_only=True)
        publish(path)
        _latencies(api, 1)  # the first call opens the published copy
        api_ms = _latencies(api, 10)
        api.close()
        per_call_ms = _latencies(SharedFileDuckDBIndex(path, read_only=True, hold_reader=False), 3)
        writer = SharedFileDuckDBIndex(path)
        t0 = time.perf_counter()
        for start in range(0, 30, 10):  # the worker: one open + close + publish per SQS batch of 10
            with writer.batch():
                for doc in sample[start:start + 10]:
                    writer.upsert(dataclasses.replace(doc, version=doc.version + 1))
        write_publish_s = time.perf_counter() - t0
        writer.close()  # publishes what the last batch left
        assert manifest_path(path).exists() and read_manifest(path)["delta"]  # published as a delta over the base
        api = SharedFileDuckDBIndex(path, read_only=True)  # the API's path with the worker's 30 updates as a delta
        _latencies(api, 1)
        api_delta_ms = _latencies(api, 10)
        api.close()

    gateway = chat_gateway.run(N_DOCS, GATEWAY_ROUNDS)
    held_p, api_p, call_p = report.percentiles(held_ms), report.percentiles(api_ms), report.percentiles(per_call_ms)
    p95, api_p95, call_p95 = _p95(held_ms), _p95(api_ms), _p95(per_call_ms)
    delta_p, delta_p95 = report.percentiles(api_delta_ms), _p95(api_delta_ms)
    gw, first_ms = gateway["gateway_latency_ms"], gateway["first_answer_after_init_ms"]
    fresh = gateway["gateway_latency_new_connection_each_ms"]
    passed = (quality["accuracy"] >= TARGET_ACCURACY and p95 <= TARGET_P95_MS and api_p95 <= TARGET_P95_MS
              and gw["p95_ms"] <= TARGET_P95_MS and first_ms <= TARGET_FIRST_ANSWER_MS)
    result = {
        "evaluation": {k: v for k, v in quality.items()}, "paraphrases": suite,
        "documents": N_DOCS, "document_build_per_s": round(N_DOCS / build_s), "file_mb": round(file_mb, 1),
        "index_bulk_docs_per_s": round(N_DOCS / bulk_s), "index_single_upsert_docs_per_s": round(300 / single_s),
        "worker_batch_of_10_and_publish_docs_per_s": round(30 / write_publish_s, 1),
        "answer_latency_held_ms": {**held_p, "p95_ms": round(p95, 3)},
        "answer_latency_api_published_copy_ms": {**api_p, "p95_ms": round(api_p95, 3)},
        "answer_latency_api_published_with_delta_ms": {**delta_p, "p95_ms": round(delta_p95, 3)},
        "answer_latency_per_call_open_ms": {**call_p, "p95_ms": round(call_p95, 3)},
        "hybrid_search": search or {"skipped": no_vectors}, "through_the_gateway": gateway,
        "targets": {"accuracy": TARGET_ACCURACY, "p95_ms": TARGET_P95_MS, "first_answer_ms": TARGET_FIRST_ANSWER_MS},
        "passed": passed,
    }
    if search:
        sp = search["latency_ms"]
        search_rows = (f"| hybrid search (BM25 in SQL + MiniLM int8 vectors, RRF), p50 / p95 | "
                       f"{sp['p50_ms']:.1f} / {sp['p95_ms']:.1f} ms ({sp['n']} searches) |\n"
                       f"| vectors for the {N_DOCS:,} documents ({search['distinct_texts']:,} distinct texts, "
                       f"cached per text) | {search['vectors_docs_per_s']:,} docs/s |")
    else:
        search_rows = f"| hybrid search | not measured: {no_vectors} |"
    fam = "\n".join(f"| {f} | {v['exact']} / {v['questions']} | {v['accuracy']:.1%} |"
                    for f, v in quality["per_family"].items())
    parts = "\n".join(f"| {p} | {v['right']} / {v['questions']} | {v['accuracy']:.1%} | {v['refused_instead']} | "
                      f"{v['answered_wrongly']} |" for p, v in suite.items())
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

Paraphrase suite (issue #17, `smartpay_chat/paraphrases/`, plan and figures checked; target >= 97 % on each part;
the held-out parts were never tuned on, see docs/chat.md for their first, blind measurements):

| part | right | accuracy | refused instead | wrong answer |
|---|---|---|---|---|
{parts}

{N_DOCS:,} documents (two merchants, one DuckDB file):

| measure | value |
|---|---|
| index, bulk (`upsert_many`, reindex path) | {result['index_bulk_docs_per_s']:,} docs/s |
| index, one document per transaction (the indexer's path, file held) | {result['index_single_upsert_docs_per_s']:,} docs/s |
| answer latency, file held (planner + SQL + template), p50 / p95 | {held_p['p50_ms']:.1f} / {p95:.1f} ms (target p95 <= {TARGET_P95_MS:.0f} ms) |
| answer latency, the API's path (held connection to the worker's publish: the base copy), p50 / p95 | {api_p['p50_ms']:.1f} / {api_p95:.1f} ms (target p95 <= {TARGET_P95_MS:.0f} ms) |
| the same with a delta of 30 updated payments over the base (the worker's publish), p50 / p95 | {delta_p['p50_ms']:.1f} / {delta_p95:.1f} ms |
| answer latency, file opened read-only per call (fallback when the copy is stale), p50 / p95 | {call_p['p50_ms']:.1f} / {call_p95:.1f} ms |
| worker, SQS batches of 10 (10 upserts, publish a delta; the {file_mb:.0f} MB base copied once, at the worker's start) | {result['worker_batch_of_10_and_publish_docs_per_s']} docs/s |
{search_rows}

Through the gateway (issue #17 item 6, `bench/chat_gateway.py`): a private local stack, the same {N_DOCS:,} payments
of one merchant in its index, POST /chat with a Cognito token while payments are taken through POST /pay and
indexed ({gateway['indexing_meanwhile']['payments_made']} payments made during the measurement; the index's count
went from {gateway['indexing_meanwhile']['index_count_before']:,} to {gateway['indexing_meanwhile']['index_count_after']:,}):

| measure | value |
|---|---|
| POST /chat through the gateway, p50 / p95 ({gw['n']} answers) | {gw['p50_ms']:.1f} / {gw['p95_ms']:.1f} ms (target p95 <= {TARGET_P95_MS:.0f} ms) |
| the same questions in the same loop, each on a new connection, p50 / p95 | {fresh['p50_ms']:.1f} / {fresh['p95_ms']:.1f} ms |
| first answer of a new API environment after its init | {first_ms:.0f} ms (target <= {TARGET_FIRST_ANSWER_MS:.0f} ms) |
| that environment's init (import + warm-up: planner, word list, index copy, one query) | {gateway['init_s']:.2f} s (warm-up {gateway['warm_in_init_s']:.2f} s) |
| first POST /chat after the stack is up (the gateway spawns the environment: a cold start) | {gateway['first_answer_cold_through_gateway_ms']:.0f} ms |
| TCP connections the asking client opened for its {gateway['client_requests']} requests (HTTP/1.1 keep-alive) | {gateway['client_connections_opened']} |

{len(held_ms)} answers over {len(QUESTIONS)} questions (held), {len(api_ms)} (API path), {len(per_call_ms)} (per call). Target met: {'yes' if passed else 'no'}."""
    report.write("chat", result, section)
    print(section)
    return passed
