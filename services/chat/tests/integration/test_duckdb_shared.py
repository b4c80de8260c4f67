"""The embedded file shared by the worker (writer) and the API (reader): the reader holds a read-only
connection to the worker's published copy, so the worker can always write, the reader sees each write, and
a copy older than the main file is never read (the reader opens the main file per call instead)."""

import pytest

from smartpay_chat.adapters import duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex, published_path
from smartpay_chat.domain.document import build_document
from smartpay_chat.domain.plan import AggregatePlan
from smartpay_chat.synthetic import snapshots

pytestmark = pytest.mark.integration
COUNT = AggregatePlan(metric="count")


def test_the_reader_holds_the_published_copy_and_the_writer_still_writes(tmp_path, chat_now, monkeypatch):
    path = tmp_path / "payments.duckdb"
    writer, reader = SharedFileDuckDBIndex(path), SharedFileDuckDBIndex(path, read_only=True)
    opened = []
    real_open = SharedFileDuckDBIndex._open

    def spy(self, target, read_only):
        opened.append((target.name, read_only))
        return real_open(self, target, read_only)

    monkeypatch.setattr(SharedFileDuckDBIndex, "_open", spy)
    docs = [build_document(m, p, s) for m, p, s in snapshots(6, now=chat_now, seed=5, merchants=("m_acme",))]
    for n, doc in enumerate(docs, start=1):
        writer.upsert(doc)  # would fail with IndexUnavailable if the reader held the main file
        assert reader.execute("m_acme", COUNT, None).matched == n
        assert reader.execute("m_acme", COUNT, None).matched == n
    reads = [o for o in opened if o[1]]
    assert reads == [(published_path(path).name, True)] * len(docs)  # one open per change, none per question
    reader.close()


def test_a_copy_older_than_the_main_file_is_not_read(tmp_path, chat_now):
    path = tmp_path / "payments.duckdb"
    SharedFileDuckDBIndex(path)  # creates and publishes an empty index
    reader = SharedFileDuckDBIndex(path, read_only=True)
    assert reader.execute("m_acme", COUNT, None).matched == 0
    direct = DuckDBPaymentIndex(path)  # a bulk load that does not publish
    direct.upsert_many([build_document(m, p, s) for m, p, s in snapshots(4, now=chat_now, seed=6,
                                                                          merchants=("m_acme",))])
    direct.close()
    assert reader.execute("m_acme", COUNT, None).matched == 4  # per-call read of the main file
    with duckdb_shared.writer_lock(path):
        duckdb_shared.publish(path)
    assert reader.execute("m_acme", COUNT, None).matched == 4  # now from the fresh copy
    reader.close()


def test_a_batch_opens_the_file_once_and_publishes_once(tmp_path, chat_now, monkeypatch):
    path = tmp_path / "payments.duckdb"
    writer, reader = SharedFileDuckDBIndex(path), SharedFileDuckDBIndex(path, read_only=True)
    published = []
    real_publish = duckdb_shared.publish
    monkeypatch.setattr(duckdb_shared, "publish", lambda p: published.append(p) or real_publish(p))
    docs = [build_document(m, p, s) for m, p, s in snapshots(5, now=chat_now, seed=9, merchants=("m_acme",))]
    with writer.batch():
        for doc in docs:
            assert writer.upsert(doc).outcome == "created"
    assert published == [path]
    assert reader.execute("m_acme", COUNT, None).matched == 5
    reader.close()
