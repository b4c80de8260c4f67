"""The indexer's writer on the real DuckDB engine, where a step fails after the work is done: a COMMIT that fails
(the error raised is the COMMIT's, not the ROLLBACK's after it), a DETACH that fails after an export's COMMIT (the
next export still runs), a prune that fails after the manifest named the new delta (the publish stands, the
writer's next delta is a new file). And what the writer stores: no vector for a pending payment (its document has
no text), its terminal document's vector then written, replaced when a newer version of it comes."""

import dataclasses

import duckdb
import pytest

from smartpay_chat.adapters import duckdb_search, duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex, read_manifest
from smartpay_chat.domain.document import build_document
from smartpay_chat.synthetic import snapshots


class FailingStep:
    """A real DuckDB connection whose next `fail` statement fails as DuckDB fails it: a COMMIT that fails has
    ended the transaction (rolled back: a ROLLBACK after it finds none), a DETACH that fails leaves the database
    attached. Everything else runs on the real connection."""

    def __init__(self):
        self._db = duckdb.connect()
        self.fail: str | None = None

    def execute(self, sql, *args):
        if self.fail is not None and sql.startswith(self.fail):
            self.fail = None
            if sql == "COMMIT":
                self._db.execute("ROLLBACK")
            raise duckdb.IOException(f"IO Error: {sql} failed: no space left on device")
        return self._db.execute(sql, *args)

    def close(self):
        self._db.close()


class UnitEmbedder:
    model_id, dimension = "edge-test", duckdb_search.VECTOR_DIM

    def __init__(self):
        self.texts = []

    def embed(self, texts):
        self.texts.extend(texts)
        return [[float(len(t))] + [0.0] * (self.dimension - 1) for t in texts]


def _doc(chat_now, payment_id, version=3, seed=1, **changes):
    ((_, _, snapshot),) = snapshots(1, now=chat_now, seed=seed, merchants=("m_acme",))
    return build_document("m_acme", payment_id, snapshot.model_copy(update={"version": version, **changes}))


def _pending(document):
    return dataclasses.replace(document, version=1, status="pending", saga_status="requested", search_text="",
                               completed_at=None)


def test_a_failed_commit_raises_its_own_error_and_writes_nothing(chat_now):
    connection = FailingStep()
    index = DuckDBPaymentIndex(":memory:", connection=connection)
    connection.fail = "COMMIT"
    with pytest.raises(duckdb.IOException, match="no space left") as failed:
        index.upsert_batch([_doc(chat_now, "pay_EDGE0001")])
    assert any("ROLLBACK" in note for note in getattr(failed.value, "__notes__", []))
    assert index.get("m_acme", "pay_EDGE0001") is None
    assert index.upsert(_doc(chat_now, "pay_EDGE0001")).outcome == "created"  # the connection is usable after it
    index.close()


def test_a_failed_vector_commit_raises_its_own_error(chat_now):
    connection = FailingStep()
    index = DuckDBPaymentIndex(":memory:", connection=connection, embedder=UnitEmbedder())
    index.upsert(_doc(chat_now, "pay_EDGE0002"), defer_vector=True)
    connection.fail = "COMMIT"
    with pytest.raises(duckdb.IOException, match="no space left"):
        index.write_deferred_vectors()
    assert connection.execute(f"SELECT count(*) FROM {duckdb_search.VECTORS}").fetchone()[0] == 0
    index.close()


def test_an_export_after_one_whose_detach_failed_still_runs(tmp_path, chat_now):
    connection = FailingStep()
    index = DuckDBPaymentIndex(":memory:", connection=connection)
    index.upsert(_doc(chat_now, "pay_EDGE0003"))
    connection.fail = "DETACH _export"
    with pytest.raises(duckdb.IOException):
        index.export(tmp_path / "first.duckdb", [("m_acme", "pay_EDGE0003")])
    index.export(tmp_path / "second.duckdb", [("m_acme", "pay_EDGE0003")])  # the alias left attached is let go
    assert index.exported_keys(tmp_path / "second.duckdb") == {("m_acme", "pay_EDGE0003")}
    index.close()


def test_a_prune_that_fails_after_the_manifest_moved_on_leaves_the_publish_standing(tmp_path, chat_now,
                                                                                      monkeypatch):
    """The manifest names the new delta when the old one cannot be deleted: the batch does not fail, readers see
    it, and the writer's next delta is a new file (the same name again would be one readers never switch to)."""
    path = tmp_path / "payments.duckdb"
    writer = SharedFileDuckDBIndex(path, idle_close_seconds=3600, max_refresh_seconds=0)
    reader = SharedFileDuckDBIndex(path, read_only=True)
    with writer.batch():
        writer.upsert(_doc(chat_now, "pay_EDGE0004"))
    first = read_manifest(path)["delta"]
    unlink = type(path).unlink

    def refuse(self, missing_ok=False):
        if self.name == first:
            raise PermissionError(13, "Permission denied", str(self))
        return unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(type(path), "unlink", refuse)
    with writer.batch():
        writer.upsert(_doc(chat_now, "pay_EDGE0005", seed=2))
    second = read_manifest(path)["delta"]
    assert second != first and (tmp_path / first).exists()
    assert reader.get("m_acme", "pay_EDGE0005") is not None
    monkeypatch.setattr(type(path), "unlink", unlink)
    with writer.batch():
        writer.upsert(_doc(chat_now, "pay_EDGE0006", seed=3))
    third = read_manifest(path)["delta"]
    assert len({first, second, third}) == 3 and not (tmp_path / first).exists()  # pruned by the next publish
    assert [reader.get("m_acme", p) is not None for p in ("pay_EDGE0004", "pay_EDGE0005", "pay_EDGE0006")] == [
        True, True, True]
    writer.close()
    reader.close()


def test_a_pending_document_gets_no_vector_its_terminal_one_does(chat_now):
    embedder = UnitEmbedder()
    index = DuckDBPaymentIndex(":memory:", embedder=embedder)
    terminal = _doc(chat_now, "pay_EDGE0007", version=4)
    assert index.upsert(_pending(terminal), defer_vector=True).outcome == "created"
    assert index.write_deferred_vectors() == 0 and embedder.texts == []  # nothing to embed, nothing written
    assert index.upsert(terminal, defer_vector=True).outcome == "updated"
    assert index.write_deferred_vectors() == 1
    newer = dataclasses.replace(terminal, version=5, search_text=terminal.search_text + " refunded in full")
    index.upsert(newer, defer_vector=True)
    assert index.write_deferred_vectors() == 1  # a stored vector is replaced, not added beside it
    rows = index._db.execute(f"SELECT payment_id, vector[1] FROM {duckdb_search.VECTORS}").fetchall()
    assert rows == [("pay_EDGE0007", float(len(newer.embedding_text)))]
    index.close()
