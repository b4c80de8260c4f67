"""`smartpay chat reindex` from the payments DynamoDB table (moto server): items in the payment service's
shape (hash key payment_id, merchant_id, a `snapshot` JSON on terminal payments), a Rich progress bar, a
table swap that keeps what the indexer wrote meanwhile, and the API's published copy refreshed."""

import json

import pytest
from typer.testing import CliRunner

from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
from smartpay_chat.config import chat_settings
from smartpay_chat.domain.document import build_document
from smartpay_chat.entrypoints.cli import app
from smartpay_chat.synthetic import snapshots

pytestmark = pytest.mark.integration
TABLE = "smartpay-payments"


@pytest.fixture
def env(aws, tmp_path, monkeypatch):
    path = tmp_path / "chat" / "payments.duckdb"
    monkeypatch.setenv("CHAT_INDEX_PATH", str(path))
    monkeypatch.setenv("CHAT_INDEX_BACKEND", "embedded")
    monkeypatch.setenv("CHAT_EMBEDDINGS", "off")
    chat_settings.cache_clear()
    ddb = aws("dynamodb")
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}])
    yield {"path": path, "ddb": ddb}
    chat_settings.cache_clear()


def put(ddb, merchant, payment_id, snap=None, raw=None):
    item = {"payment_id": {"S": payment_id}, "merchant_id": {"S": merchant}, "state": {"S": "CAPTURED"},
            "record": {"S": "{}"}}
    if snap is not None or raw is not None:
        item["snapshot"] = {"S": raw if raw is not None else snap.model_dump_json()}
    ddb.put_item(TableName=TABLE, Item=item)


def count(answer_output):
    return int(json.loads(answer_output)["rows"][0]["value"])


def test_reindex_from_the_table_swaps_in_every_snapshot_and_keeps_newer_writes(env, chat_now):
    items = list(snapshots(120, now=chat_now, seed=8, merchants=("m_acme", "m_beta")))
    for merchant, payment_id, snap in items:
        put(env["ddb"], merchant, payment_id, snap)
    for i in range(7):  # sagas still running: no snapshot yet
        put(env["ddb"], "m_acme", f"pay_RUNNING{i:05d}")
    # The index already holds: one payment at a NEWER version than the table (the indexer wrote it during the
    # scan) and one at an older version; and a reader (the API) holds the published copy open.
    newer_m, newer_id, newer_snap = items[0]
    older_m, older_id, older_snap = items[1]
    writer = SharedFileDuckDBIndex(env["path"])
    writer.upsert(build_document(newer_m, newer_id, newer_snap.model_copy(update={"version": newer_snap.version + 5})))
    writer.upsert(build_document(older_m, older_id, older_snap.model_copy(update={"version": 1})))
    reader = SharedFileDuckDBIndex(env["path"], read_only=True)
    from smartpay_chat.domain.plan import AggregatePlan

    before = reader.execute("m_acme", AggregatePlan(metric="count"), None).matched
    assert before == sum(1 for m, _, _ in items[:2] if m == "m_acme")

    result = CliRunner().invoke(app, ["reindex"])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())  # Rich wraps lines
    assert "120 snapshots read from smartpay-payments, 7 item(s) without a snapshot skipped" in output
    assert "'carried_over': 1" in output and "'documents': 120" in output and "scanning" in output

    acme = sum(1 for m, _, _ in items if m == "m_acme")
    assert reader.execute("m_acme", AggregatePlan(metric="count"), None).matched == acme  # the copy was republished
    ask = CliRunner().invoke(app, ["ask", "how many payments", "--merchant", "m_beta", "--json"])
    assert count(ask.output) == 120 - acme
    index = DuckDBPaymentIndex(env["path"], read_only=True)
    try:
        assert index.get(newer_m, newer_id).version == newer_snap.version + 5  # kept: newer than the table
        assert index.get(older_m, older_id).version == older_snap.version  # replaced by the table's
    finally:
        index.close()
    reader.close()


def test_an_invalid_snapshot_stops_the_reindex_before_the_swap(env, chat_now):
    items = list(snapshots(5, now=chat_now, seed=2, merchants=("m_acme",)))
    for merchant, payment_id, snap in items:
        put(env["ddb"], merchant, payment_id, snap)
    put(env["ddb"], "m_acme", "pay_BROKEN00001", raw=json.dumps({"version": 1, "status": "captured"}))
    writer = SharedFileDuckDBIndex(env["path"])
    writer.upsert(build_document(*items[0][:2], items[0][2]))
    result = CliRunner().invoke(app, ["reindex"])
    assert result.exit_code == 1
    output = " ".join(result.output.split())  # Rich wraps lines
    assert "1 item(s) with an invalid snapshot; the index was not swapped" in output
    assert "pay_BROKEN00001: snapshot: currency: missing" in output
    ask = CliRunner().invoke(app, ["ask", "how many payments", "--merchant", "m_acme", "--json"])
    assert count(ask.output) == 1  # unchanged


def test_a_missing_table_is_a_clear_error(env):
    result = CliRunner().invoke(app, ["reindex", "--table", "no-such-table"])
    assert result.exit_code != 0 and "cannot scan the payments table no-such-table" in result.output
