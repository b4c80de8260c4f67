"""The OpenSearch adapter through opensearch-py's real client and transport, on a recording connection that
answers with stored response bodies (no OpenSearch server can run here)."""

import json
from pathlib import Path

import pytest
from opensearchpy import Connection, OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from smartpay_chat.adapters import opensearch_bodies as bodies
from smartpay_chat.adapters.opensearch_index import OpenSearchPaymentIndex
from smartpay_chat.domain.document import build_document
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.domain.summary import Summary, SummaryRow

FIXTURES = Path(__file__).with_name("fixtures")


class RecordingConnection(Connection):
    """Records every request the transport sends and answers from a queue of (status, body)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests, self.responses = [], []

    def perform_request(self, method, url, params=None, body=None, timeout=None, ignore=(), headers=None):
        # As they go on the query string (the client encodes values to bytes/str before this point).
        query = {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in (params or {}).items()}
        self.requests.append({"method": method, "url": url, "params": query, "body": _json_or_ndjson(body)})
        status, payload = self.responses.pop(0)
        if isinstance(payload, Exception):
            raise payload
        raw = json.dumps(payload)
        if not 200 <= status < 300 and status not in ignore:
            self._raise_error(status, raw, "application/json")
        return status, {"content-type": "application/json"}, raw


def _json_or_ndjson(body):
    if not body:
        return None
    text = body.decode() if isinstance(body, bytes) else body
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # _bulk / _msearch: one JSON object a line
        return [json.loads(line) for line in text.strip().split("\n")]


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def os_index():
    client = OpenSearch(hosts=["http://search.invalid:9200"], connection_class=RecordingConnection, max_retries=0)
    return OpenSearchPaymentIndex(client, alias="payments"), client.transport.get_connection()


@pytest.fixture
def document(snapshot):
    return build_document("m_acme", "pay_FIXTURE001", snapshot())


def test_ensure_index_creates_v1_behind_the_alias(os_index):
    index, conn = os_index
    conn.responses += [(404, fixture("alias_missing.json")),
                       (200, {"acknowledged": True, "shards_acknowledged": True, "index": "payments-v1"})]
    assert index.ensure_index() == "payments-v1"
    head, create = conn.requests
    assert (head["method"], head["url"]) == ("HEAD", "/_alias/payments")
    assert (create["method"], create["url"]) == ("PUT", "/payments-v1")
    assert create["body"] == bodies.create_index_body("payments")


def test_ensure_index_keeps_an_existing_alias(os_index):
    index, conn = os_index
    conn.responses += [(200, {}), (200, {"payments-v3": {"aliases": {"payments": {"is_write_index": True}}}})]
    assert index.ensure_index() == "payments-v3"
    assert [r["method"] for r in conn.requests] == ["HEAD", "GET"]


def test_upsert_writes_through_the_alias_with_the_external_version(os_index, document):
    index, conn = os_index
    conn.responses.append((201, fixture("index_created.json")))
    result = index.upsert(document)
    (request,) = conn.requests
    assert (request["method"], request["url"]) == ("PUT", "/payments/_doc/m_acme%3Apay_FIXTURE001")
    assert request["params"] == {"version": "7", "version_type": "external"}
    assert request["body"] == bodies.to_source(document)
    assert (result.outcome, result.index, result.stored_version, result.written) == ("created", "payments-v1", 7, True)


@pytest.mark.parametrize(("stored", "outcome"), [(8, "stale"), (7, "duplicate")])
def test_a_version_conflict_is_reported_not_raised(os_index, document, stored, outcome):
    index, conn = os_index
    current = fixture("get_version.json")
    current["_source"]["version"] = stored
    conn.responses += [(409, fixture("index_version_conflict.json")), (200, current)]
    result = index.upsert(document)
    assert (result.outcome, result.stored_version, result.written) == (outcome, stored, False)
    read = conn.requests[1]
    assert (read["method"], read["url"], read["params"]) == (
        "GET", "/payments/_doc/m_acme%3Apay_FIXTURE001", {"_source_includes": "version"})


def test_get_is_scoped_to_the_merchant(os_index, document):
    index, conn = os_index
    conn.responses.append((200, fixture("get_document.json")))
    assert index.get("m_acme", "pay_FIXTURE001") == document
    assert conn.requests[-1]["url"] == "/payments/_doc/m_acme%3Apay_FIXTURE001"

    conn.responses.append((404, fixture("get_not_found.json")))
    assert index.get("m_other", "pay_FIXTURE001") is None
    assert conn.requests[-1]["url"] == "/payments/_doc/m_other%3Apay_FIXTURE001"

    tampered = fixture("get_document.json")
    tampered["_source"]["merchant_id"] = "m_other"  # a document whose body disagrees with its id is not shown
    conn.responses.append((200, tampered))
    assert index.get("m_acme", "pay_FIXTURE001") is None


def test_summarize_pages_through_the_composite_aggregation(os_index, monkeypatch):
    index, conn = os_index
    monkeypatch.setattr(bodies, "COMPOSITE_PAGE", 3)
    last = {"aggregations": {"groups": {"after_key": {"status": "refunded", "gateway": "stripe", "currency": "EUR"},
                                        "buckets": [{"key": {"status": "refunded", "gateway": "stripe",
                                                             "currency": "EUR"}, "doc_count": 1,
                                                     "amount_minor": {"value": 1200.0}}]}}}
    conn.responses += [(200, fixture("summary_page.json")), (200, last)]
    rows = index.summarize("m_acme", Summary(("status", "gateway")))
    assert len(rows) == 4 and rows[-1] == SummaryRow({"status": "refunded", "gateway": "stripe", "currency": "EUR"},
                                                     1, 1200)
    first, second = conn.requests
    assert (first["method"], first["url"]) == ("POST", "/payments/_search")
    assert first["body"]["query"]["bool"]["filter"][0] == {"term": {"merchant_id": "m_acme"}}
    assert second["body"]["aggs"]["groups"]["composite"]["after"] == {
        "status": "failed", "gateway": "stripe", "currency": "EUR"}


def test_reindex_copies_swaps_then_catches_up(os_index):
    index, conn = os_index
    reindexed = {"took": 40, "timed_out": False, "total": 3, "updated": 0, "created": 3, "deleted": 0,
                 "batches": 1, "version_conflicts": 0, "noops": 0, "failures": []}
    caught_up = {**reindexed, "created": 0, "updated": 1, "version_conflicts": 2}
    conn.responses += [(200, {"payments-v1": {"aliases": {"payments": {"is_write_index": True}}}}),
                       (200, {"acknowledged": True, "index": "payments-v2"}), (200, reindexed),
                       (200, {"acknowledged": True}), (200, caught_up)]
    report = index.reindex_and_swap(2)
    assert report == {"old_index": "payments-v1", "new_index": "payments-v2", "copied": 3, "caught_up": 1,
                      "failures": []}
    calls = [(r["method"], r["url"]) for r in conn.requests]
    assert calls == [("GET", "/_alias/payments"), ("PUT", "/payments-v2"), ("POST", "/_reindex"),
                     ("POST", "/_aliases"), ("POST", "/_reindex")]
    assert conn.requests[1]["body"] == bodies.create_index_body(None)
    assert conn.requests[2]["body"] == bodies.reindex_body("payments-v1", "payments-v2")
    assert conn.requests[2]["params"] == {"wait_for_completion": "true", "refresh": "true"}
    assert conn.requests[3]["body"] == bodies.swap_alias_actions("payments", "payments-v1", "payments-v2")


def test_reindex_starts_from_the_write_index_of_the_alias(os_index):
    index, conn = os_index
    conn.responses += [(200, {"payments-v1": {"aliases": {"payments": {"is_write_index": False}}},
                              "payments-v2": {"aliases": {"payments": {"is_write_index": True}}}}),
                       (200, {"acknowledged": True}), (200, {"created": 0, "failures": []}),
                       (200, {"acknowledged": True}), (200, {"created": 0, "failures": []})]
    assert index.reindex_and_swap(3)["old_index"] == "payments-v2"
    assert conn.requests[2]["body"]["source"] == {"index": "payments-v2"}


def test_reindex_with_failures_does_not_move_the_alias(os_index):
    index, conn = os_index
    failed = {"created": 2, "updated": 0, "failures": [{"index": "payments-v2", "id": "m:p", "status": 400}]}
    conn.responses += [(200, {"payments-v1": {"aliases": {"payments": {}}}}),
                       (200, {"acknowledged": True}), (200, failed)]
    with pytest.raises(RuntimeError, match="1 failure"):
        index.reindex_and_swap(2)
    assert [r["url"] for r in conn.requests] == ["/_alias/payments", "/payments-v2", "/_reindex"]


def test_an_unreachable_cluster_is_index_unavailable(os_index, document):
    index, conn = os_index
    conn.responses.append((0, OpenSearchConnectionError("N/A", "refused", None)))
    with pytest.raises(IndexUnavailable):
        index.upsert(document)


def test_rebuild_bulk_loads_a_new_index_keeping_versions_then_swaps_and_catches_up(os_index, snapshot):
    index, conn = os_index
    docs = [build_document("m_acme", f"pay_REBUILD{i:04d}", snapshot(version=3 + i)) for i in range(3)]
    bulk = {"took": 12, "errors": True, "items": [
        {"index": {"_index": "payments-v2", "_id": "m_acme:pay_REBUILD0000", "_version": 3, "result": "created",
                   "status": 201}},
        {"index": {"_index": "payments-v2", "_id": "m_acme:pay_REBUILD0001", "status": 409, "error": {
            "type": "version_conflict_engine_exception", "reason": "version conflict"}}},
        {"index": {"_index": "payments-v2", "_id": "m_acme:pay_REBUILD0002", "_version": 5, "result": "created",
                   "status": 201}}]}
    caught_up = {"took": 9, "timed_out": False, "total": 4, "updated": 1, "created": 0, "version_conflicts": 3,
                 "failures": []}
    conn.responses += [(200, {"payments-v1": {"aliases": {"payments": {"is_write_index": True}}}}),
                       (200, {"acknowledged": True, "index": "payments-v2"}), (200, bulk),
                       (200, {"acknowledged": True}), (200, caught_up)]
    report = index.rebuild(docs)
    assert report == {"old_index": "payments-v1", "new_index": "payments-v2", "written": 2, "carried_over": 1}
    calls = [(r["method"], r["url"]) for r in conn.requests]
    assert calls == [("GET", "/_alias/payments"), ("PUT", "/payments-v2"), ("POST", "/_bulk"),
                     ("POST", "/_aliases"), ("POST", "/_reindex")]
    lines = conn.requests[2]["body"]
    assert lines[0] == {"index": {"_index": "payments-v2", "_id": "m_acme:pay_REBUILD0000", "version": 3,
                                  "version_type": "external"}}
    assert lines[1] == bodies.to_source(docs[0])
    assert conn.requests[3]["body"] == bodies.swap_alias_actions("payments", "payments-v1", "payments-v2")


def test_rebuild_with_bulk_failures_keeps_the_alias(os_index, snapshot):
    index, conn = os_index
    bulk = {"took": 3, "errors": True, "items": [{"index": {"_index": "payments-v2", "_id": "m_acme:pay_REBUILD0000",
                                                            "status": 400, "error": {"type": "mapper_parsing_exception",
                                                                                     "reason": "strict"}}}]}
    conn.responses += [(200, {"payments-v1": {"aliases": {"payments": {}}}}),
                       (200, {"acknowledged": True, "index": "payments-v2"}), (200, bulk)]
    with pytest.raises(RuntimeError, match="the alias still points at payments-v1"):
        index.rebuild([build_document("m_acme", "pay_REBUILD0000", snapshot())])
    assert [r["url"] for r in conn.requests][-1] == "/_bulk"


class OneVector:
    model_id, dimension = "fixed-test", 3

    def embed(self, texts):
        return [[1.0, 0.0, 0.0] for _ in texts]


def test_an_existing_index_without_the_vector_field_is_written_without_vectors(snapshot):
    client = OpenSearch(hosts=["http://search.invalid:9200"], connection_class=RecordingConnection, max_retries=0)
    conn = client.transport.get_connection()
    index = OpenSearchPaymentIndex(client, alias="payments", embedder=OneVector())
    conn.responses += [(200, {}), (200, {"payments-v1": {"aliases": {"payments": {"is_write_index": True}}}}),
                       (200, {"payments-v1": {"mappings": {"dynamic": "strict", "properties": bodies.mappings()[
                           "properties"]}}}),
                       (201, {"_index": "payments-v1", "_id": "m_acme:pay_FIXTURE001", "result": "created"})]
    assert index.ensure_index() == "payments-v1"
    index.upsert(build_document("m_acme", "pay_FIXTURE001", snapshot()))
    assert "search_vector" not in conn.requests[-1]["body"]  # strict mapping: a vector would fail the write
    conn.responses += [(200, {"payments-v1": {"aliases": {"payments": {"is_write_index": True}}}}),
                       (200, {"acknowledged": True, "index": "payments-v2"}),
                       (200, {"took": 1, "errors": False, "items": [{"index": {"_index": "payments-v2", "status": 201,
                                                                                "_id": "m_acme:pay_FIXTURE001"}}]}),
                       (200, {"acknowledged": True}), (200, {"created": 0, "updated": 0, "failures": []})]
    index.rebuild([build_document("m_acme", "pay_FIXTURE001", snapshot())])
    assert conn.requests[-4]["body"]["mappings"]["properties"]["search_vector"]["dimension"] == 3
    assert conn.requests[-3]["body"][1]["search_vector"] == [1.0, 0.0, 0.0]  # the new index has vectors
