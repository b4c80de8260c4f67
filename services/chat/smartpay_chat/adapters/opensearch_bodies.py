"""OpenSearch request bodies and response readers for the payment index: pure functions, no client, so the
exact JSON sent is unit-tested. The calls themselves are in opensearch_index.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from smartpay_chat.domain.aggregates import CONDITION_STATUSES, DETAIL_TEXTS, aggregates
from smartpay_chat.domain.document import STEPS, PaymentDocument
from smartpay_chat.domain.plan import MONEY_METRICS, AggregatePlan
from smartpay_chat.domain.windows import Bounds
from smartpay_chat.domain.summary import Summary, SummaryRow

MAPPING_VERSION = 1
_KEYWORDS = ("payment_id", "merchant_id", "status", "saga_status", "decline_stage", "currency", "method",
             "card_last4", "country", "merchant_category", "customer_id", "gateway", "first_gateway",
             "gateways_tried", "failure_codes", "decline_code", "fraud_decision")
# Major units for range filters and display; exact figures come from the *_minor longs (sums included) and
# from _source, which keeps the exact decimal string. A scaled_float cannot hold both JPY 10^12 and SOL's
# 9 decimals in a long.
_DECIMAL = {"type": "double"}
_DATE = {"type": "date", "format": "strict_date_optional_time"}
COMPOSITE_PAGE = 500
VECTOR_FIELD = "search_vector"


def index_name(alias: str, version: int = MAPPING_VERSION) -> str:
    return f"{alias}-v{version}"


def document_id(merchant_id: str, payment_id: str) -> str:
    """The merchant is part of the id: one merchant's write can never replace another's document, and a
    real-time GET is scoped by construction."""
    return f"{merchant_id}:{payment_id}"


def mappings(vector_dimension: int | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {name: {"type": "keyword"} for name in _KEYWORDS}
    properties.update({
        "version": {"type": "long"}, "amount_minor": {"type": "long"},
        "captured_amount_minor": {"type": "long"}, "refunded_amount_minor": {"type": "long"},
        "amount": _DECIMAL, "captured_amount": _DECIMAL, "refunded_amount": _DECIMAL,
        "currency_exponent": {"type": "byte"}, "attempts_count": {"type": "integer"},
        "fallbacks": {"type": "integer"}, "approved": {"type": "boolean"}, "fell_back": {"type": "boolean"},
        "fraud_score": {"type": "double"}, "latency_ms": {"type": "double"},
        "created_at": _DATE, "completed_at": _DATE, **{f"{step}_at": _DATE for step in STEPS},
        "decline_reason": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}},
        "routing_explanation": {"type": "text"}, "search_text": {"type": "text"},
        "attempts": {"type": "nested", "properties": {
            "attempt": {"type": "integer"}, "gateway": {"type": "keyword"}, "outcome": {"type": "keyword"},
            "code": {"type": "keyword"}, "latency_ms": {"type": "double"}}},
        "fraud_reasons": {"type": "nested", "properties": {
            "feature": {"type": "keyword"}, "contribution": {"type": "double"},
            "description": {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": 512}}}}},
        # Shown in a lookup, never searched: kept in _source only.
        "timeline": {"type": "object", "enabled": False},
    })
    if vector_dimension:  # hybrid search: the embedding of search_text (k-NN plugin, Lucene HNSW, cosine)
        properties[VECTOR_FIELD] = {"type": "knn_vector", "dimension": vector_dimension,
                                    "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"}}
    return {"dynamic": "strict", "properties": properties}


def create_index_body(alias: str | None, *, shards: int = 1, replicas: int = 1,
                      vector_dimension: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "settings": {"index": {"number_of_shards": shards, "number_of_replicas": replicas,
                               "refresh_interval": "1s"}},
        "mappings": mappings(vector_dimension),
    }
    if vector_dimension:
        body["settings"]["index"]["knn"] = True
    if alias:
        body["aliases"] = {alias: {"is_write_index": True}}
    return body


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # a string keeps the exact value; OpenSearch coerces it into the numeric field
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def to_source(document: PaymentDocument, vector: list[float] | None = None) -> dict[str, Any]:
    source = {k: _json_value(v) for k, v in document.to_record().items()}
    if vector is not None:
        source[VECTOR_FIELD] = vector
    return source


def from_source(source: dict[str, Any]) -> PaymentDocument:
    record = {k: v for k, v in source.items() if k != VECTOR_FIELD}
    for name in ("created_at", "completed_at", *(f"{s}_at" for s in STEPS)):
        if record.get(name):
            record[name] = datetime.fromisoformat(record[name])
    record["timeline"] = [{**t, "at": datetime.fromisoformat(t["at"])} for t in record.get("timeline") or []]
    return PaymentDocument.from_record(record)


def upsert_params(document: PaymentDocument) -> dict[str, Any]:
    """External versioning: the write lands only if the snapshot version is above the stored one."""
    return {"version": document.version, "version_type": "external"}


def summary_query(merchant_id: str, summary: Summary, after: dict[str, Any] | None = None) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"term": {"merchant_id": merchant_id}}]
    if summary.statuses:
        filters.append({"terms": {"status": list(summary.statuses)}})
    if summary.gateways:
        filters.append({"terms": {"gateway": list(summary.gateways)}})
    filters += [{"exists": {"field": key}} for key in summary.keys]
    composite: dict[str, Any] = {"size": COMPOSITE_PAGE,
                                 "sources": [{key: {"terms": {"field": key}}} for key in summary.keys]}
    if after:
        composite["after"] = after
    return {"size": 0, "track_total_hits": False, "query": {"bool": {"filter": filters}},
            "aggs": {"groups": {"composite": composite,
                                "aggs": {"amount_minor": {"sum": {"field": "amount_minor"}}}}}}


def summary_rows(response: dict[str, Any]) -> tuple[list[SummaryRow], dict[str, Any] | None]:
    """Rows of one composite page and the key to ask for the next page (None when done)."""
    groups = response["aggregations"]["groups"]
    rows = [SummaryRow(dict(b["key"]), int(b["doc_count"]), round(b["amount_minor"]["value"]))
            for b in groups["buckets"]]
    return rows, (groups.get("after_key") if len(rows) >= COMPOSITE_PAGE else None)


def reindex_body(source_index: str, dest_index: str) -> dict[str, Any]:
    """Copy keeping each document's external version; where the destination already has the same or a newer
    version (written after the alias moved), the conflict is skipped, not fatal."""
    return {"conflicts": "proceed", "source": {"index": source_index},
            "dest": {"index": dest_index, "version_type": "external"}}


def swap_alias_actions(alias: str, old_index: str | None, new_index: str) -> dict[str, Any]:
    actions: list[dict[str, Any]] = []
    if old_index:
        actions.append({"remove": {"index": old_index, "alias": alias}})
    actions.append({"add": {"index": new_index, "alias": alias, "is_write_index": True}})
    return {"actions": actions}


# --- Aggregate plans (issue #7). The merchant `term` is the first filter, added here from the caller's
# merchant argument: no plan field reaches it. Percentiles are OpenSearch's TDigest estimates (exact for
# small groups, approximate beyond the compression); counts and sums are exact.
_PLAN_FIELDS = {"gateway": "gateway", "status": "status", "reason": "decline_code", "currency": "currency",
                "method": "method", "country": "country"}
_INTERVALS = {"day": ("day", "yyyy-MM-dd"), "hour": ("hour", "yyyy-MM-dd HH:00")}


def _condition(name: str) -> dict[str, Any]:
    if name == "fell_back":
        return {"bool": {"filter": [{"term": {"fell_back": True}}],
                         "must_not": [{"term": {"status": "pending"}}]}}
    statuses = CONDITION_STATUSES[name]
    return {"match_all": {}} if statuses is None else {"terms": {"status": list(statuses)}}


def plan_filters(merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [{"term": {"merchant_id": merchant_id}}]
    f = plan.filters
    for field, values in (("status", f.statuses), ("gateway", f.gateways), ("currency", f.currencies),
                          ("method", f.methods), ("country", f.countries), ("fraud_decision", f.fraud_decisions)):
        if values:
            filters.append({"terms": {field: list(values)}})
    if f.fell_back is not None:
        filters.append(_condition("fell_back") if f.fell_back else {"bool": {"must_not": [_condition("fell_back")]}})
    amount: dict[str, str] = {}
    for name in ("gte", "gt", "lte", "lt"):
        if getattr(f, f"amount_{name}") is not None:
            amount[name] = str(getattr(f, f"amount_{name}"))
    if amount:
        filters.append({"range": {"amount": amount}})
    if bounds is not None:
        filters.append({"range": {"created_at": {"gte": bounds.start.isoformat(), "lt": bounds.end.isoformat()}}})
    filters += [{"exists": {"field": _PLAN_FIELDS[k]}} for k in plan.group_keys if k in _PLAN_FIELDS]
    if plan.metric == "latency":
        filters.append({"exists": {"field": "latency_ms"}})
    if plan.metric in MONEY_METRICS:  # money is summed over approved payments only: they are the scope
        filters.append(_condition("approved"))
    return filters


def _metric_aggs(plan: AggregatePlan) -> dict[str, Any]:
    aggs: dict[str, Any] = {}
    percents = []
    for agg in aggregates(plan):
        if agg.op == "percentile":
            percents.append(agg.percentile)
            continue
        body: dict[str, Any] = {"filter": _condition(agg.condition)}
        if agg.op == "sum":
            body["aggs"] = {"v": {"sum": {"field": agg.field}}}
        aggs[agg.name] = body
    if percents:
        aggs["latency"] = {"percentiles": {"field": "latency_ms", "percents": percents, "keyed": True}}
    return aggs


def plan_query(merchant_id: str, plan: AggregatePlan, bounds: Bounds | None, citations: int = 10,
               after: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "size": citations, "_source": ["payment_id"], "track_total_hits": True,
        "sort": [{"created_at": "desc"}, {"payment_id": "asc"}],
        "query": {"bool": {"filter": plan_filters(merchant_id, plan, bounds)}},
    }
    if not plan.group_keys:
        body["aggs"] = _metric_aggs(plan)
        return body
    sources = []
    for key in plan.group_keys:
        if key in _PLAN_FIELDS:
            sources.append({key: {"terms": {"field": _PLAN_FIELDS[key]}}})
        else:
            interval, fmt = _INTERVALS[key]
            sources.append({key: {"date_histogram": {"field": "created_at", "calendar_interval": interval,
                                                     "time_zone": plan.timezone, "format": fmt}}})
    composite: dict[str, Any] = {"size": COMPOSITE_PAGE, "sources": sources}
    if after:
        composite["after"] = after
    aggs = _metric_aggs(plan)
    if "reason" in plan.group_keys:  # the gateways' texts for the code (exact below 3,000 distinct texts)
        aggs["detail"] = {"terms": {"field": "decline_reason.raw", "size": DETAIL_TEXTS, "order": {"_key": "asc"}}}
        aggs["detail_texts"] = {"cardinality": {"field": "decline_reason.raw"}}
    body["aggs"] = {"groups": {"composite": composite, "aggs": aggs}}
    return body


def _bucket_values(plan: AggregatePlan, bucket: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for agg in aggregates(plan):
        if agg.op == "count":
            values[agg.name] = int(bucket[agg.name]["doc_count"])
        elif agg.op == "sum":
            values[agg.name] = round(bucket[agg.name]["v"]["value"] or 0)
        else:
            found = bucket["latency"]["values"]
            raw = found.get(f"{agg.percentile:.1f}", found.get(str(agg.percentile)))
            values[agg.name] = None if raw in (None, "NaN") else float(raw)
    return values


def _detail(plan: AggregatePlan, bucket: dict[str, Any]) -> dict[str, Any]:
    if "reason" not in plan.group_keys:
        return {}
    return {"detail": [b["key"] for b in bucket["detail"]["buckets"]],
            "detail_texts": int(bucket["detail_texts"]["value"])}


def plan_rows(plan: AggregatePlan, response: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Rows of one response (group labels + raw aggregates) and the composite key of the next page."""
    if not plan.group_keys:
        if not response["hits"]["total"]["value"]:
            return [], None
        return [_bucket_values(plan, response["aggregations"])], None
    groups = response["aggregations"]["groups"]
    rows = [{**{k: b["key"][k] for k in plan.group_keys}, **_detail(plan, b), **_bucket_values(plan, b)}
            for b in groups["buckets"]]
    return rows, (groups.get("after_key") if len(rows) >= COMPOSITE_PAGE else None)


def plan_citations(response: dict[str, Any]) -> tuple[int, list[str]]:
    hits = response["hits"]
    return int(hits["total"]["value"]), [h["_source"]["payment_id"] for h in hits["hits"]]


# --- Hybrid search (issue #7): three bodies sent in one _msearch, all filtered on the caller's merchant first:
# the scope's count, a BM25 `match` on search_text, and a `knn` on the vector with the same filter inside
# (Lucene engine: efficient filtering). The two rankings are fused client-side by domain/search.py, the same
# function the embedded adapter uses (OpenSearch's own RRF needs a 2.19 search pipeline).
def search_bodies(merchant_id: str, plan, bounds: Bounds | None, depth: int,
                  vector: list[float] | None) -> list[dict[str, Any]]:
    filters = plan_filters(merchant_id, AggregatePlan(metric="count", filters=plan.filters), bounds)
    ties = [{"_score": {"order": "desc"}}, {"payment_id": {"order": "asc"}}]
    bodies = [
        {"size": 0, "track_total_hits": True, "query": {"bool": {"filter": filters}}},
        {"size": depth, "_source": ["payment_id"], "track_total_hits": False, "sort": ties,
         "query": {"bool": {"filter": filters, "must": [{"match": {"search_text": {"query": plan.text}}}]}}},
    ]
    if vector is not None:
        bodies.append({"size": depth, "_source": ["payment_id"], "track_total_hits": False, "sort": ties,
                       "query": {"knn": {VECTOR_FIELD: {"vector": vector, "k": depth,
                                                        "filter": {"bool": {"filter": filters}}}}}})
    return bodies


def msearch_body(index: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for body in bodies:
        lines += [{"index": index}, body]
    return lines


def ranked_ids(response: dict[str, Any]) -> list[str]:
    return [hit["_source"]["payment_id"] for hit in response["hits"]["hits"]]
