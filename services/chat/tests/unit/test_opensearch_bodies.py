"""The OpenSearch mapping and request bodies, exactly as sent (no server can run here)."""

import json
from pathlib import Path

from smartpay_chat.adapters import opensearch_bodies as bodies
from smartpay_chat.domain.document import build_document
from smartpay_chat.domain.summary import Summary, SummaryRow

FIXTURES = Path(__file__).with_name("fixtures")


def load(name):
    return json.loads((FIXTURES / name).read_text())


def test_the_strict_mapping_covers_every_document_field_and_nothing_else(snapshot):
    source = bodies.to_source(build_document("m_acme", "pay_MAP00001", snapshot()))
    properties = bodies.mappings()["properties"]
    assert bodies.mappings()["dynamic"] == "strict"  # an unmapped field is an error, not a guess
    assert set(source) == set(properties)
    assert set(source["attempts"][0]) == set(properties["attempts"]["properties"])
    assert set(source["fraud_reasons"][0]) == set(properties["fraud_reasons"]["properties"])


def test_field_types_fit_the_questions():
    p = bodies.mappings()["properties"]
    for keyword in ("merchant_id", "status", "gateway", "currency", "method", "country", "decline_code",
                    "fraud_decision", "card_last4", "failure_codes"):
        assert p[keyword] == {"type": "keyword"}, keyword
    assert p["amount_minor"] == {"type": "long"}
    assert p["amount"] == {"type": "double"}  # exact figures: amount_minor and the _source string
    assert p["created_at"]["type"] == "date" and p["captured_at"]["type"] == "date"
    assert p["attempts"]["type"] == "nested" and p["fraud_reasons"]["type"] == "nested"
    assert p["timeline"] == {"type": "object", "enabled": False}
    assert p["decline_reason"]["type"] == "text" and p["decline_reason"]["fields"]["raw"]["type"] == "keyword"
    assert p["search_text"] == {"type": "text"}


def test_index_and_alias_names():
    assert bodies.index_name("payments") == "payments-v1"
    assert bodies.index_name("payments", 2) == "payments-v2"
    body = bodies.create_index_body("payments")
    assert body["aliases"] == {"payments": {"is_write_index": True}}
    assert body["settings"]["index"]["number_of_shards"] == 1
    assert "aliases" not in bodies.create_index_body(None)


def test_the_document_id_carries_the_merchant():
    assert bodies.document_id("m_acme", "pay_X0000001") == "m_acme:pay_X0000001"


def test_source_is_json_with_exact_decimals_and_reads_back(snapshot):
    document = build_document("m_acme", "pay_SRC00001", snapshot(currency="BHD"))
    source = bodies.to_source(document)
    assert json.loads(json.dumps(source)) == source
    assert source["amount"] == "4.250" and source["amount_minor"] == 4250
    assert source["created_at"] == "2026-11-30T09:00:00+00:00"
    assert bodies.from_source(source) == document


def test_the_stored_fixture_reads_back_to_the_same_document(snapshot):
    assert bodies.from_source(load("get_document.json")["_source"]) == build_document(
        "m_acme", "pay_FIXTURE001", snapshot())


def test_upsert_uses_external_versioning_with_the_snapshot_version(snapshot):
    document = build_document("m_acme", "pay_VER00001", snapshot(version=12))
    assert bodies.upsert_params(document) == {"version": 12, "version_type": "external"}


def test_summary_query_filters_on_the_merchant_first_and_groups_per_currency():
    body = bodies.summary_query("m_acme", Summary(("status", "gateway"), statuses=("captured", "failed")))
    assert body["size"] == 0
    assert body["query"]["bool"]["filter"] == [
        {"term": {"merchant_id": "m_acme"}}, {"terms": {"status": ["captured", "failed"]}},
        {"exists": {"field": "status"}}, {"exists": {"field": "gateway"}}, {"exists": {"field": "currency"}}]
    composite = body["aggs"]["groups"]["composite"]
    assert composite["sources"] == [{"status": {"terms": {"field": "status"}}},
                                    {"gateway": {"terms": {"field": "gateway"}}},
                                    {"currency": {"terms": {"field": "currency"}}}]
    assert "after" not in composite
    assert body["aggs"]["groups"]["aggs"] == {"amount_minor": {"sum": {"field": "amount_minor"}}}
    page2 = bodies.summary_query("m_acme", Summary(("gateway",)), after={"gateway": "stripe", "currency": "EUR"})
    assert page2["aggs"]["groups"]["composite"]["after"] == {"gateway": "stripe", "currency": "EUR"}


def test_summary_rows_from_a_response():
    rows, after = bodies.summary_rows(load("summary_page.json"))
    assert rows == [SummaryRow({"status": "captured", "gateway": "solana", "currency": "USD"}, 1, 990),
                    SummaryRow({"status": "captured", "gateway": "stripe", "currency": "EUR"}, 2, 5250),
                    SummaryRow({"status": "failed", "gateway": "stripe", "currency": "EUR"}, 1, 700)]
    assert after is None  # fewer buckets than a page: nothing more to ask for


def test_reindex_keeps_versions_and_the_swap_is_one_atomic_call():
    assert bodies.reindex_body("payments-v1", "payments-v2") == {
        "conflicts": "proceed", "source": {"index": "payments-v1"},
        "dest": {"index": "payments-v2", "version_type": "external"}}
    assert bodies.swap_alias_actions("payments", "payments-v1", "payments-v2") == {"actions": [
        {"remove": {"index": "payments-v1", "alias": "payments"}},
        {"add": {"index": "payments-v2", "alias": "payments", "is_write_index": True}}]}
