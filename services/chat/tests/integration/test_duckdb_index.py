"""The embedded index on a real DuckDB file: persisted, version-guarded in SQL, scoped to the merchant,
one writer process at a time."""

import subprocess
import sys
from datetime import timedelta

import duckdb
import pytest

from smartpay_chat.adapters.duckdb_index import _NAMES, _UPSERT, TABLE, DuckDBPaymentIndex
from smartpay_chat.domain.document import build_document
from smartpay_chat.domain.summary import Summary, SummaryRow

pytestmark = pytest.mark.integration


@pytest.fixture
def path(tmp_path):
    return tmp_path / "chat" / "payments.duckdb"


def test_documents_survive_a_reopen(path, snapshot):
    document = build_document("m_acme", "pay_PERSIST01", snapshot())
    first = DuckDBPaymentIndex(path)
    assert first.upsert(document).outcome == "created"
    first.close()
    again = DuckDBPaymentIndex(path)
    try:
        assert again.get("m_acme", "pay_PERSIST01") == document
    finally:
        again.close()


def test_exact_decimals_for_every_exponent(path, snapshot):
    index = DuckDBPaymentIndex(path)
    try:
        for n, (currency, amount) in enumerate([("JPY", 10**12), ("SOL", 123_456_789_012), ("BHD", 1), ("EUR", 4250)]):
            document = build_document("m_acme", f"pay_DECIMAL0{n}", snapshot(
                currency=currency, amount=amount, captured_amount=amount))
            index.upsert(document)
            stored = index.get("m_acme", f"pay_DECIMAL0{n}")
            assert stored == document and str(stored.amount) == str(document.amount)
    finally:
        index.close()


def test_the_version_guard_is_in_the_sql(path, snapshot):
    """Even a caller that skips the adapter's pre-read cannot replace a newer row with an older one."""
    index = DuckDBPaymentIndex(path)
    index.upsert(build_document("m_acme", "pay_GUARD001", snapshot(version=5)))
    index.close()
    assert "WHERE payments.version < excluded.version" in _UPSERT
    older = build_document("m_acme", "pay_GUARD001", snapshot(version=4, country="FR")).to_record()
    with duckdb.connect(str(path)) as db:
        assert db.execute(_UPSERT, [older[c] for c in _NAMES]).fetchall() == []
        assert db.execute(f"SELECT version, country FROM {TABLE}").fetchall() == [(5, "DE")]


def test_versions_decide_whatever_the_arrival_order(path, snapshot, t0):
    index = DuckDBPaymentIndex(path)
    try:
        v9 = build_document("m_acme", "pay_ORDER001", snapshot(
            version=9, status="refunded", refunded_amount=4250,
            timeline=[{"state": "REQUESTED", "at": t0}, {"state": "REFUNDED", "at": t0 + timedelta(hours=2)}]))
        v7 = build_document("m_acme", "pay_ORDER001", snapshot(version=7))
        assert index.upsert(v9).outcome == "created"
        assert (index.upsert(v7).outcome, index.upsert(v7).stored_version) == ("stale", 9)
        assert index.upsert(v9).outcome == "duplicate"
        stored = index.get("m_acme", "pay_ORDER001")
        assert (stored.version, stored.status, stored.steps["refunded"]) == (9, "refunded", t0 + timedelta(hours=2))
    finally:
        index.close()


def test_reads_are_scoped_to_the_merchant(path, snapshot):
    index = DuckDBPaymentIndex(path)
    try:
        index.upsert(build_document("m_acme", "pay_TENANT01", snapshot()))
        index.upsert(build_document("m_other", "pay_TENANT02", snapshot(amount=99_999, captured_amount=99_999)))
        # the same payment id under another merchant is another document: it can never replace m_acme's
        assert index.upsert(build_document("m_other", "pay_TENANT01", snapshot(version=50))).outcome == "created"
        assert index.get("m_acme", "pay_TENANT01").version == 7
        assert index.get("m_acme", "pay_TENANT02") is None
        assert index.summarize("m_acme", Summary(("status",))) == [
            SummaryRow({"status": "captured", "currency": "EUR"}, 1, 4250)]
    finally:
        index.close()


def test_summary_by_status_and_gateway_per_currency(path, snapshot):
    index = DuckDBPaymentIndex(path)
    one_try = [{"attempt": 1, "gateway": "stripe", "outcome": "captured"}]
    payments = [
        ("pay_SUM00001", dict(amount=1000, captured_amount=1000, attempts=one_try)),
        ("pay_SUM00002", dict(amount=2500, captured_amount=2500, attempts=one_try)),
        ("pay_SUM00003", dict(amount=700, currency="USD", captured_amount=700, attempts=one_try)),
        ("pay_SUM00004", dict(amount=990, currency="USD", captured_amount=990, gateway="solana",
                              attempts=[{"attempt": 1, "gateway": "solana", "outcome": "captured"}])),
        ("pay_SUM00005", dict(status="declined", amount=5000, captured_amount=0, gateway=None, attempts=[],
                              fraud_decision="decline")),
        ("pay_SUM00006", dict(status="failed", amount=300, captured_amount=0,
                              attempts=[{"attempt": 1, "gateway": "stripe", "outcome": "failed", "code": "5xx"}])),
    ]
    try:
        for payment_id, fields in payments:
            index.upsert(build_document("m_acme", payment_id, snapshot(**fields)))
        assert index.summarize("m_acme", Summary(("status",))) == [
            SummaryRow({"status": "captured", "currency": "EUR"}, 2, 3500),
            SummaryRow({"status": "captured", "currency": "USD"}, 2, 1690),
            SummaryRow({"status": "declined_fraud", "currency": "EUR"}, 1, 5000),
            SummaryRow({"status": "failed", "currency": "EUR"}, 1, 300)]
        # "by gateway" leaves out the payment never routed
        assert index.summarize("m_acme", Summary(("gateway",), statuses=("captured", "failed"))) == [
            SummaryRow({"gateway": "solana", "currency": "USD"}, 1, 990),
            SummaryRow({"gateway": "stripe", "currency": "EUR"}, 3, 3800),
            SummaryRow({"gateway": "stripe", "currency": "USD"}, 1, 700)]
        assert index.summarize("m_acme", Summary(("status",), gateways=("solana",))) == [
            SummaryRow({"status": "captured", "currency": "USD"}, 1, 990)]
        assert index.count("m_acme") == 6
    finally:
        index.close()


def test_summary_refuses_unknown_group_fields():
    with pytest.raises(ValueError, match="cannot group by"):
        Summary(("merchant_id; DROP TABLE payments",))


def test_a_second_writer_process_is_refused(path):
    index = DuckDBPaymentIndex(path)
    try:
        code = ("import sys\nfrom smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex\n"
                "from smartpay_chat.domain.errors import IndexUnavailable\n"
                f"try:\n    DuckDBPaymentIndex({str(path)!r})\nexcept IndexUnavailable:\n    sys.exit(3)\n")
        assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 3
    finally:
        index.close()
