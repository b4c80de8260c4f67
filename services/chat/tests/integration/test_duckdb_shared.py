"""The embedded file shared by the worker (writer) and the API (reader): the reader holds a read-only
connection to the worker's published copy, so the worker can always write, the reader sees each write, and
a copy older than the main file is never read (the reader opens the main file per call instead)."""

import duckdb
import pytest

from smartpay_chat.adapters import duckdb_search, duckdb_shared
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
    monkeypatch.setattr(duckdb_shared, "publish", lambda p, fd=None: published.append(p) or real_publish(p, fd))
    docs = [build_document(m, p, s) for m, p, s in snapshots(5, now=chat_now, seed=9, merchants=("m_acme",))]
    with writer.batch():
        for doc in docs:
            assert writer.upsert(doc).outcome == "created"
    assert published == [path]
    assert reader.execute("m_acme", COUNT, None).matched == 5
    reader.close()


class CountingEmbedder:
    """A deterministic embedder that counts its calls (the real model is tested in unit/test_search.py)."""

    model_id, dimension = "counting-test", duckdb_search.VECTOR_DIM

    def __init__(self):
        self.calls = []

    def embed(self, texts):
        self.calls.append(len(texts))
        return [[1.0] + [0.0] * (self.dimension - 1) for _ in texts]


def _vectors_in(path, merchant="m_acme"):
    with duckdb.connect(str(path), read_only=True) as db:
        return {row[0] for row in db.execute(
            "SELECT payment_id FROM payment_vectors WHERE merchant_id = ?", [merchant]).fetchall()}


def test_vectors_are_written_at_the_end_of_the_batch_in_one_model_call(tmp_path, chat_now):
    """The indexer publishes payment.indexed inside the batch; the embeddings (10-25 ms of model time per new
    text) follow at its end, and readers of the published copy see rows and vectors together."""
    path = tmp_path / "payments.duckdb"
    embedder = CountingEmbedder()
    writer = SharedFileDuckDBIndex(path, embedder=embedder, idle_close_seconds=0)
    docs = [build_document(m, p, s) for m, p, s in snapshots(4, now=chat_now, seed=3, merchants=("m_acme",))]
    with writer.batch():
        for doc in docs:
            assert writer.upsert(doc).outcome == "created"
        assert embedder.calls == []  # nothing embedded while the batch runs
    assert embedder.calls == [4]
    assert _vectors_in(published_path(path)) == {d.payment_id for d in docs}
    with writer.batch():  # a redelivery (duplicate) writes its vector again: its first batch may have died
        assert writer.upsert(docs[0]).outcome == "duplicate"
    assert embedder.calls == [4, 1]
    writer.close()


def test_a_stale_version_gets_no_vector(tmp_path, chat_now):
    path = tmp_path / "payments.duckdb"
    embedder = CountingEmbedder()
    writer = SharedFileDuckDBIndex(path, embedder=embedder, idle_close_seconds=0)
    ((merchant, payment_id, snapshot),) = snapshots(1, now=chat_now, seed=4, merchants=("m_acme",))
    newer = snapshot.model_copy(update={"version": snapshot.version + 1})
    writer.upsert(build_document(merchant, payment_id, newer))
    assert writer.upsert(build_document(merchant, payment_id, snapshot)).outcome == "stale"
    assert embedder.calls == [1]
    writer.close()
