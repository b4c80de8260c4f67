"""Both executors on the same documents give the same answers. DuckDB runs for real (in memory); the
OpenSearch side goes through opensearch-py's real client on the recording connection, answered by
hand-written responses in OpenSearch 2.x's documented shapes for exactly these documents (none was captured
from a live cluster). The merchant filter comes from the caller in both, first, whatever the plan says."""

import json

import pytest
from opensearchpy import Connection, OpenSearch

from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.opensearch_index import OpenSearchPaymentIndex
from smartpay_chat.domain import aggregates
from smartpay_chat.domain.plan import AggregatePlan, Filters, Window
from smartpay_chat.domain.windows import resolve

NOW = None  # set by the module fixture from conftest's chat_now


class RecordingConnection(Connection):
    """Answers the transport from a queue of (status, body) and records each request's JSON body."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests, self.responses = [], []

    def perform_request(self, method, url, params=None, body=None, timeout=None, ignore=(), headers=None):
        self.requests.append({"method": method, "url": url, "body": json.loads(body) if body else None})
        status, payload = self.responses.pop(0)
        return status, {"content-type": "application/json"}, json.dumps(payload)


def _hits(total, ids):
    return {"total": {"value": total, "relation": "eq"}, "max_score": None,
            "hits": [{"_index": "payments-v1", "_id": f"m_acme:{i}", "_score": None, "_source": {"payment_id": i}}
                     for i in ids]}


ALL = ["pay_DOCSAAAA05", "pay_DOCSAAAA03", "pay_DOCSAAAA02", "pay_DOCSAAAA01", "pay_DOCSAAAA04"]
CASES = {
    "approval by gateway": (
        AggregatePlan(metric="approval_rate", group_by=("gateway",)),
        {"hits": _hits(4, ["pay_DOCSAAAA05", "pay_DOCSAAAA02", "pay_DOCSAAAA01", "pay_DOCSAAAA04"]),
         "aggregations": {"groups": {"after_key": {"gateway": "stripe"}, "buckets": [
             {"key": {"gateway": "solana"}, "doc_count": 1, "numerator": {"doc_count": 1},
              "denominator": {"doc_count": 1}},
             {"key": {"gateway": "stripe"}, "doc_count": 3, "numerator": {"doc_count": 2},
              "denominator": {"doc_count": 3}}]}}}),
    "volume per currency": (
        AggregatePlan(metric="volume"),
        {"hits": _hits(3, ["pay_DOCSAAAA05", "pay_DOCSAAAA01", "pay_DOCSAAAA04"]),
         "aggregations": {"groups": {"after_key": {"currency": "USD"}, "buckets": [
            {"key": {"currency": "EUR"}, "doc_count": 2, "n": {"doc_count": 2},
             "amount_minor": {"doc_count": 2, "v": {"value": 7250.0}}},
            {"key": {"currency": "USD"}, "doc_count": 1, "n": {"doc_count": 1},
             "amount_minor": {"doc_count": 1, "v": {"value": 2000.0}}}]}}}),
    "top decline reasons": (
        AggregatePlan(metric="count", filters=Filters(statuses=("failed", "declined_fraud")), group_by=("reason",),
                      top_n=5),
        {"hits": _hits(2, ["pay_DOCSAAAA03", "pay_DOCSAAAA02"]), "aggregations": {"groups": {"buckets": [
            {"key": {"reason": "card_declined"}, "doc_count": 1, "n": {"doc_count": 1},
             "detail": {"buckets": [{"key": "The card was declined", "doc_count": 1}]},
             "detail_texts": {"value": 1}},
            {"key": {"reason": "fraud_risk"}, "doc_count": 1, "n": {"doc_count": 1},
             "detail": {"buckets": [{"key": "Blocked by the fraud check", "doc_count": 1}]},
             "detail_texts": {"value": 1}}]}}}),
    "count yesterday": (
        AggregatePlan(metric="count", window=Window(period="yesterday")),
        {"hits": _hits(4, ALL[:4]), "aggregations": {"n": {"doc_count": 4}}}),
    "net EUR": (
        AggregatePlan(metric="net", filters=Filters(currencies=("EUR",))),
        {"hits": _hits(2, ["pay_DOCSAAAA05", "pay_DOCSAAAA01"]),
         "aggregations": {"groups": {"buckets": [
             {"key": {"currency": "EUR"}, "doc_count": 2, "amount_minor": {"doc_count": 2, "v": {"value": 7250.0}},
              "refunded_minor": {"doc_count": 2, "v": {"value": 1000.0}}}]}}}),
}


@pytest.fixture
def duck(chat_documents, chat_now):
    global NOW
    NOW = chat_now
    index = DuckDBPaymentIndex(":memory:")
    for doc in chat_documents:
        index.upsert(doc)
    yield index
    index.close()


def _finish(plan, result):
    return aggregates.rank(plan, [{**r, "value": aggregates.value_of(plan, r)} for r in result.rows])


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_executors_give_the_same_answer(duck, case):
    plan, response = CASES[case]
    bounds = resolve(plan.window, plan.timezone, NOW) if plan.window else None
    client = OpenSearch(hosts=["http://search.invalid:9200"], connection_class=RecordingConnection, max_retries=0)
    conn = client.transport.get_connection()
    conn.responses.append((200, {"took": 2, "timed_out": False, **response}))
    embedded = duck.execute("m_acme", plan, bounds)
    searched = OpenSearchPaymentIndex(client).execute("m_acme", plan, bounds)
    assert _finish(plan, embedded) == _finish(plan, searched)
    assert (embedded.matched, embedded.citations) == (searched.matched, searched.citations)
    body = conn.requests[0]["body"]
    assert body["query"]["bool"]["filter"][0] == {"term": {"merchant_id": "m_acme"}}
    assert embedded.query["params"][embedded.query["sql"].split("WHERE")[0].count("?")] == "m_acme"


def test_duckdb_figures_are_the_hand_checked_ones(duck):
    rows = _finish(CASES["approval by gateway"][0], duck.execute("m_acme", CASES["approval by gateway"][0], None))
    assert [(r["gateway"], str(r["value"])) for r in rows] == [("solana", "1.0000"), ("stripe", "0.6667")]
    volume = _finish(CASES["volume per currency"][0], duck.execute("m_acme", CASES["volume per currency"][0], None))
    assert [(r["currency"], str(r["value"])) for r in volume] == [("EUR", "72.50"), ("USD", "20.00")]


def test_the_other_merchant_is_never_counted(duck):
    plan = AggregatePlan(metric="volume")
    rows = duck.execute("m_beta", plan, None).rows
    assert rows == [{"currency": "EUR", "n": 1, "amount_minor": 99999}]
    assert all(r["amount_minor"] != 99999 for r in duck.execute("m_acme", plan, None).rows)


def test_the_window_never_runs_past_now(duck):
    plan = AggregatePlan(metric="count", window=Window(period="this_month"))
    bounds = resolve(plan.window, "UTC", NOW)
    assert bounds.end == NOW
    assert duck.execute("m_acme", plan, bounds).rows == []  # nothing created in December before 10:00


def test_opensearch_body_filters_and_groups(duck):
    plan = AggregatePlan(metric="latency", filters=Filters(gateways=("stripe",), amount_gt=10),
                         group_by=("day",), timezone="Europe/Berlin", window=Window(period="last_n_days", n=7))
    from smartpay_chat.adapters import opensearch_bodies as bodies

    body = bodies.plan_query("m_acme", plan, resolve(plan.window, plan.timezone, NOW))
    filters = body["query"]["bool"]["filter"]
    assert filters[0] == {"term": {"merchant_id": "m_acme"}}
    assert {"terms": {"gateway": ["stripe"]}} in filters and {"range": {"amount": {"gt": "10"}}} in filters
    assert {"exists": {"field": "latency_ms"}} in filters
    source = body["aggs"]["groups"]["composite"]["sources"][0]["day"]["date_histogram"]
    assert source["time_zone"] == "Europe/Berlin" and source["calendar_interval"] == "day"
    assert body["aggs"]["groups"]["aggs"]["latency"]["percentiles"]["percents"] == [50.0, 95.0, 99.0]


def test_duckdb_latency_percentiles_interpolate_like_numpy(duck, chat_documents):
    import numpy as np

    plan = AggregatePlan(metric="latency", percentiles=(50.0, 95.0))
    row = duck.execute("m_acme", plan, None).rows[0]
    latencies = [d.latency_ms for d in chat_documents if d.merchant_id == "m_acme"]
    assert row["p50"] == pytest.approx(np.percentile(latencies, 50))
    assert row["p95"] == pytest.approx(np.percentile(latencies, 95))



def test_per_day_groups_follow_the_merchant_time_zone(chat_documents):
    """Created (UTC): 11-29 09:00, 11-30 09:00, 10:00, 11:00, 12:00. At UTC+14 they are 11-29 23:00,
    11-30 23:00, then 12-01 00:00, 01:00, 02:00."""
    index = DuckDBPaymentIndex(":memory:")
    for doc in chat_documents:
        index.upsert(doc)
    utc = index.execute("m_acme", AggregatePlan(metric="count", group_by=("day",)), None).rows
    kiritimati = index.execute("m_acme", AggregatePlan(metric="count", group_by=("day",), timezone="Pacific/Kiritimati"),
                               None).rows
    assert sorted((r["day"], r["n"]) for r in utc) == [("2026-11-29", 1), ("2026-11-30", 4)]
    assert sorted((r["day"], r["n"]) for r in kiritimati) == [("2026-11-29", 1), ("2026-11-30", 1),
                                                             ("2026-12-01", 3)]
    index.close()


def test_opensearch_down_is_index_unavailable():
    from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

    from smartpay_chat.domain.errors import IndexUnavailable

    class Down(RecordingConnection):
        def perform_request(self, *args, **kwargs):
            raise OpenSearchConnectionError("N/A", "connection refused", None)

    client = OpenSearch(hosts=["http://search.invalid:9200"], connection_class=Down, max_retries=0)
    with pytest.raises(IndexUnavailable):
        OpenSearchPaymentIndex(client).execute("m_acme", AggregatePlan(metric="count"), None)


def test_decline_reasons_group_by_code_with_the_gateway_texts_as_detail(chat_documents, snapshot, t0):
    """Issue #17 item 4: one code worded two ways by two gateways is one reason; the texts are its detail."""
    from datetime import timedelta

    from smartpay_chat.domain.document import build_document

    other = build_document("m_acme", "pay_DOCSAAAA06", snapshot(
        status="failed", amount=700, captured_amount=0, gateway="amazon_pay", created_at=t0 + timedelta(hours=4),
        completed_at=t0 + timedelta(hours=4, seconds=1), decline_code="card_declined",
        decline_reason="Declined by the issuer (card_declined)",
        attempts=[{"attempt": 1, "gateway": "amazon_pay", "outcome": "declined", "code": "card_declined"}]))
    duck = DuckDBPaymentIndex(":memory:")
    duck.upsert_many([*chat_documents, other])
    plan = CASES["top decline reasons"][0]
    rows = _finish(plan, duck.execute("m_acme", plan, None))
    assert [(r["reason"], int(r["value"]), r["detail"], r["detail_texts"]) for r in rows] == [
        ("card_declined", 2, ["Declined by the issuer (card_declined)", "The card was declined"], 2),
        ("fraud_risk", 1, ["Blocked by the fraud check"], 1)]
    from smartpay_chat.adapters import opensearch_bodies

    body = opensearch_bodies.plan_query("m_acme", plan, None)
    assert body["aggs"]["groups"]["composite"]["sources"] == [{"reason": {"terms": {"field": "decline_code"}}}]
    assert body["aggs"]["groups"]["aggs"]["detail"]["terms"]["field"] == "decline_reason.raw"
    from smartpay_chat.domain.answers import aggregate_text

    text = aggregate_text(plan, None, rows, 3)
    assert 'card_declined ("Declined by the issuer (card_declined)"; "The card was declined"): 2' in text
    duck.close()
