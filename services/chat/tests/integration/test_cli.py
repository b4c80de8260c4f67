"""`smartpay chat reindex` from a JSONL of snapshots into a real DuckDB file, then `smartpay chat ask`."""

import json

import pytest
from typer.testing import CliRunner

from smartpay_chat.config import chat_settings
from smartpay_chat.entrypoints.cli import app
from smartpay_chat.synthetic import snapshots

pytestmark = pytest.mark.integration


@pytest.fixture
def index_file(tmp_path, monkeypatch):
    path = tmp_path / "payments.duckdb"
    monkeypatch.setenv("CHAT_INDEX_PATH", str(path))
    monkeypatch.setenv("CHAT_INDEX_BACKEND", "embedded")
    monkeypatch.setenv("CHAT_EMBEDDINGS", "off")  # BM25 only: the vectors path has its own tests
    chat_settings.cache_clear()
    yield path
    chat_settings.cache_clear()


def test_reindex_then_ask(index_file, tmp_path, chat_now):
    source = tmp_path / "snapshots.jsonl"
    items = list(snapshots(200, now=chat_now, seed=11, merchants=("m_acme", "m_beta")))
    source.write_text("".join(json.dumps({"merchant_id": m, "payment_id": p, "payment": s.model_dump(mode="json")})
                              + "\n" for m, p, s in items))
    result = CliRunner().invoke(app, ["reindex", "--from-jsonl", str(source)])
    assert result.exit_code == 0, result.output
    assert "200 documents written" in result.output
    result = CliRunner().invoke(app, ["ask", "how many payments", "--merchant", "m_acme", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["rows"][0]["value"] == str(sum(1 for m, _, _ in items if m == "m_acme"))
    table = CliRunner().invoke(app, ["ask", "how many payments by status", "--merchant", "m_acme"])
    assert table.exit_code == 0 and "captured" in table.output and "plan:" in table.output


def test_reindex_refuses_a_bad_line_by_number(index_file, tmp_path):
    source = tmp_path / "bad.jsonl"
    source.write_text(json.dumps({"merchant_id": "m_acme", "payment_id": "pay_BAD0000001", "payment": {}}) + "\n")
    result = CliRunner().invoke(app, ["reindex", "--from-jsonl", str(source)])
    assert result.exit_code != 0 and "line 1" in result.output


def test_a_time_series_is_saved_as_png(index_file, tmp_path, chat_now):
    source = tmp_path / "snapshots.jsonl"
    source.write_text("".join(json.dumps({"merchant_id": m, "payment_id": p, "payment": s.model_dump(mode="json")})
                              + "\n" for m, p, s in snapshots(300, now=chat_now, seed=4, merchants=("m_acme",))))
    assert CliRunner().invoke(app, ["reindex", "--from-jsonl", str(source)]).exit_code == 0
    png = tmp_path / "volume.png"
    result = CliRunner().invoke(app, ["ask", "volume per day last 30 days", "--merchant", "m_acme",
                                      "--chart", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    refused = CliRunner().invoke(app, ["ask", "how many payments", "--merchant", "m_acme", "--chart", str(png)])
    assert refused.exit_code != 0
