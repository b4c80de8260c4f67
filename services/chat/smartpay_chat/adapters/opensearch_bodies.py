"""OpenSearch request bodies and response readers for the payment index: pure functions, no client, so the
exact JSON sent is unit-tested. The calls themselves are in opensearch_index.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from smartpay_chat.domain.document import STEPS, PaymentDocument
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


def index_name(alias: str, version: int = MAPPING_VERSION) -> str:
    return f"{alias}-v{version}"


def document_id(merchant_id: str, payment_id: str) -> str:
    """The merchant is part of the id: one merchant's write can never replace another's document, and a
    real-time GET is scoped by construction."""
    return f"{merchant_id}:{payment_id}"


def mappings() -> dict[str, Any]:
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
    return {"dynamic": "strict", "properties": properties}


def create_index_body(alias: str | None, *, shards: int = 1, replicas: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {
        "settings": {"index": {"number_of_shards": shards, "number_of_replicas": replicas,
                               "refresh_interval": "1s"}},
        "mappings": mappings(),
    }
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


def to_source(document: PaymentDocument) -> dict[str, Any]:
    return {k: _json_value(v) for k, v in document.to_record().items()}


def from_source(source: dict[str, Any]) -> PaymentDocument:
    record = dict(source)
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
