"""The embedded file shared by the worker (writer) and the API (reader): the reader holds one connection to
the worker's publish (a base copy with a delta over it), so the worker can always write, the reader sees each
write, a publish older than the main file is never read (the reader opens the main file per call instead),
and a publish copies the whole file only when the delta grows past its limit."""

import duckdb
import pytest

from smartpay_chat.adapters import duckdb_search, duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex, read_manifest
from smartpay_chat.domain.document import build_document
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.domain.plan import AggregatePlan
from smartpay_chat.synthetic import snapshots

pytestmark = pytest.mark.integration
COUNT = AggregatePlan(metric="count")


def test_the_reader_holds_the_publish_and_the_writer_still_writes(tmp_path, chat_now, monkeypatch):
    path = tmp_path / "payments.duckdb"
    writer, reader = SharedFileDuckDBIndex(path), SharedFileDuckDBIndex(path, read_only=True)
    connections, opened_main = [], []
    real_snapshot, real_init = duckdb_shared.open_snapshot, duckdb_shared.DuckDBPaymentIndex.__init__
    monkeypatch.setattr(duckdb_shared, "open_snapshot", lambda *a, **k: connections.append(1) or real_snapshot(*a, **k))

    def spy(self, target, *args, **kwargs):
        if str(target) == str(path):
            opened_main.append(kwargs.get("read_only", False))
        real_init(self, target, *args, **kwargs)

    monkeypatch.setattr(duckdb_shared.DuckDBPaymentIndex, "__init__", spy)
    docs = [build_document(m, p, s) for m, p, s in snapshots(6, now=chat_now, seed=5, merchants=("m_acme",))]
    deltas = []
    for n, doc in enumerate(docs, start=1):
        writer.upsert(doc)  # would fail with IndexUnavailable if the reader held the main file
        assert reader.execute("m_acme", COUNT, None).matched == n
        assert reader.execute("m_acme", COUNT, None).matched == n
        deltas.append(reader._follower.ready.delta)
    assert connections == [1]  # one connection for every publish: each write came as a new delta, not a copy
    assert len(set(deltas)) == len(docs)
    assert True not in opened_main  # the reader never opened the main file
    assert read_manifest(path)["generation"] == 1  # the base was copied once, when the writer started
    reader.close()


def test_a_newer_version_in_the_delta_replaces_the_base_row_for_its_merchant_only(tmp_path, chat_now):
    path = tmp_path / "payments.duckdb"
    (_, payment_id, snapshot), = snapshots(1, now=chat_now, seed=11, merchants=("m_acme",))
    writer = SharedFileDuckDBIndex(path)
    for merchant in ("m_acme", "m_other"):  # the same payment id under two merchants, both in the base
        writer.upsert(build_document(merchant, payment_id, snapshot))
    with duckdb_shared.writer_lock(path):
        duckdb_shared.publish(path)
    base = read_manifest(path)["base"]
    reader = SharedFileDuckDBIndex(path, read_only=True)
    assert reader.get("m_acme", payment_id).country == snapshot.country
    other_country = "FR" if snapshot.country != "FR" else "DE"
    newer = snapshot.model_copy(update={"version": snapshot.version + 1, "country": other_country})
    assert writer.upsert(build_document("m_acme", payment_id, newer)).outcome == "updated"
    manifest = read_manifest(path)
    assert (manifest["base"], manifest["delta"] is not None) == (base, True)  # published as a delta
    # THEN the reader sees the new version once (not the base's row beside it), and the other merchant's
    # row with the same payment id is untouched
    assert reader.get("m_acme", payment_id).country == other_country
    assert reader.execute("m_acme", COUNT, None).matched == 1
    assert reader.get("m_other", payment_id).country == snapshot.country
    assert reader.execute("m_other", COUNT, None).matched == 1
    reader.close()


def test_a_delta_over_its_limit_is_folded_into_a_new_base(tmp_path, chat_now, monkeypatch):
    monkeypatch.setattr(duckdb_shared, "DELTA_MAX_ROWS", 2)
    path = tmp_path / "payments.duckdb"
    (tmp_path / "payments.read.duckdb").write_bytes(b"")  # the single read copy of the layout before deltas
    writer = SharedFileDuckDBIndex(path, idle_close_seconds=3600, max_refresh_seconds=0)
    reader = SharedFileDuckDBIndex(path, read_only=True)
    docs = [build_document(m, p, s) for m, p, s in snapshots(4, now=chat_now, seed=12, merchants=("m_acme",))]
    seen = []
    for n, doc in enumerate(docs, start=1):
        with writer.batch():
            writer.upsert(doc)
        manifest = read_manifest(path)
        seen.append((manifest["generation"], manifest["delta"] is None))
        assert reader.execute("m_acme", COUNT, None).matched == n
    # two payments fit in a delta over the first base; the third is over the limit: a new base, no delta
    assert seen == [(1, False), (1, False), (2, True), (2, False)]
    assert sorted(f.name for f in tmp_path.glob("payments.read.*.duckdb")) == [
        "payments.read.2.d1.duckdb", "payments.read.2.duckdb"]  # older publishes pruned
    assert not (tmp_path / "payments.read.duckdb").exists()
    writer.close()
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
    real_publish, real_delta = duckdb_shared.publish, duckdb_shared.publish_delta
    monkeypatch.setattr(duckdb_shared, "publish", lambda p, fd=None: published.append("full") or real_publish(p, fd))
    monkeypatch.setattr(duckdb_shared, "publish_delta",
                        lambda *a: published.append(("delta", len(a[3]))) or real_delta(*a))
    docs = [build_document(m, p, s) for m, p, s in snapshots(5, now=chat_now, seed=9, merchants=("m_acme",))]
    with writer.batch():
        for doc in docs:
            assert writer.upsert(doc).outcome == "created"
    assert published == [("delta", 5)]  # one publish for the batch, and no copy of the file
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
    """The vectors in the current publish (base and delta)."""
    snapshot = duckdb_shared.open_snapshot(path)
    try:
        return {row[0] for row in snapshot.connection.execute(
            "SELECT payment_id FROM payment_vectors WHERE merchant_id = ?", [merchant]).fetchall()}
    finally:
        snapshot.close()


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
    assert _vectors_in(path) == {d.payment_id for d in docs}
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


class FailsOnSecondCall(CountingEmbedder):
    """The model fails once (its second call), then works again."""

    def embed(self, texts):
        self.calls.append(len(texts))
        if len(self.calls) == 2:
            raise RuntimeError("model down")
        return [[1.0] + [0.0] * (self.dimension - 1) for _ in texts]


@pytest.mark.parametrize("then", ["next batch", "close"])
def test_a_batch_whose_vectors_fail_still_reaches_readers(tmp_path, chat_now, then):
    """The batch's rows are committed before its vectors are embedded: when the model fails, the publish must
    not be taken as complete, or those rows would never be published (a later delta carries only its own)."""
    path = tmp_path / "payments.duckdb"
    writer = SharedFileDuckDBIndex(path, embedder=FailsOnSecondCall(), idle_close_seconds=3600,
                                   max_refresh_seconds=0)
    docs = [build_document(m, p, s) for m, p, s in snapshots(3, now=chat_now, seed=5, merchants=("m_acme",))]
    with writer.batch():
        writer.upsert(docs[0])
    with pytest.raises(RuntimeError, match="model down"), writer.batch():
        writer.upsert(docs[1])
    if then == "next batch":
        with writer.batch():
            writer.upsert(docs[2])
    else:
        writer.close()
    reader = SharedFileDuckDBIndex(path, read_only=True)
    for doc in docs[:3] if then == "next batch" else docs[:2]:
        assert reader.get("m_acme", doc.payment_id) is not None, doc.payment_id
    if then == "next batch":  # and from the publish itself, as another process reads it
        snapshot = duckdb_shared.open_snapshot(path)
        ids = {r[0] for r in snapshot.connection.execute("SELECT payment_id FROM payments").fetchall()}
        snapshot.close()
        assert ids == {d.payment_id for d in docs}
        writer.close()
    reader.close()


def test_a_missing_base_is_index_unavailable_not_a_duckdb_error(tmp_path):
    path = tmp_path / "payments.duckdb"
    SharedFileDuckDBIndex(path)  # creates and publishes
    (tmp_path / read_manifest(path)["base"]).unlink()
    reader = SharedFileDuckDBIndex(path, read_only=True, wait_seconds=0.2)
    with pytest.raises(IndexUnavailable):
        reader.get("m_acme", "pay_missing")
    with pytest.raises(IndexUnavailable):
        duckdb_shared.open_snapshot(path)


@pytest.mark.parametrize("content", ["", '{"generation": 1, "ba', "[]", '{"generation": 1}'])
def test_an_empty_or_torn_manifest_is_no_publish(tmp_path, chat_now, content):
    path = tmp_path / "payments.duckdb"
    (_, payment_id, snapshot), = snapshots(1, now=chat_now, seed=7, merchants=("m_acme",))
    SharedFileDuckDBIndex(path).upsert(build_document("m_acme", payment_id, snapshot))
    duckdb_shared.manifest_path(path).write_text(content)
    assert read_manifest(path) is None
    reader = SharedFileDuckDBIndex(path, read_only=True, wait_seconds=0.2)
    assert reader.get("m_acme", payment_id) is not None  # from the main file: no trusted publish
    writer = SharedFileDuckDBIndex(path)  # a writer starts, and publishes in full
    assert read_manifest(path)["delta"] is None
    assert reader.get("m_acme", payment_id) is not None
    writer.close()
    reader.close()


def test_a_writer_holding_the_file_over_an_untrusted_publish_never_shows_it(tmp_path, chat_now):
    """A bulk load (or a failed publish) left the main file newer than the publish. While a worker holds
    the lock, readers must not fall back to that older publish: it lacks the bulk load."""
    path = tmp_path / "payments.duckdb"
    docs = [build_document(m, p, s) for m, p, s in snapshots(2, now=chat_now, seed=8, merchants=("m_acme",))]
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=3600)
    reader = SharedFileDuckDBIndex(path, read_only=True)
    direct = DuckDBPaymentIndex(path)  # a bulk load that does not publish
    direct.upsert_many([docs[0]])
    direct.close()
    assert reader.get("m_acme", docs[0].payment_id) is not None  # from the main file
    with worker.batch():
        worker.upsert(docs[1])
        assert reader.get("m_acme", docs[0].payment_id) is not None  # while the worker holds the file
    assert reader.get("m_acme", docs[0].payment_id) is not None
    assert reader.get("m_acme", docs[1].payment_id) is not None
    worker.close()
    reader.close()


def test_a_manifest_marked_untrusted_is_not_read(tmp_path, chat_now):
    """Between taking the lock over an untrusted publish and its full publish, the worker marks the manifest:
    readers read the main file (waiting for it, then IndexUnavailable), never the stale publish."""
    path = tmp_path / "payments.duckdb"
    SharedFileDuckDBIndex(path)
    (_, payment_id, snapshot), = snapshots(1, now=chat_now, seed=9, merchants=("m_acme",))
    direct = DuckDBPaymentIndex(path)
    direct.upsert_many([build_document("m_acme", payment_id, snapshot)])
    direct.close()
    duckdb_shared._mark_untrusted(path)
    assert read_manifest(path)["untrusted"] is True
    reader = SharedFileDuckDBIndex(path, read_only=True, wait_seconds=0.2)
    with duckdb_shared.writer_lock(path):  # a writer holds the lock; its publish is not out yet
        assert reader.get("m_acme", payment_id) is not None  # the main file (not held open by DuckDB here)
    reader.close()


def test_a_publish_deletes_what_a_crashed_publish_left(tmp_path, chat_now):
    path = tmp_path / "payments.duckdb"
    writer = SharedFileDuckDBIndex(path, idle_close_seconds=3600, max_refresh_seconds=0)
    left = [tmp_path / ".payments.read.7.duckdb.99999.tmp", tmp_path / ".payments.read.7.duckdb.99999.tmp.wal",
            tmp_path / ".payments.read.1.d3.duckdb.99999.tmp", tmp_path / ".payments.read.json.99999.tmp"]
    for file in left:
        file.write_bytes(b"torn")
    (_, payment_id, snapshot), = snapshots(1, now=chat_now, seed=10, merchants=("m_acme",))
    with writer.batch():
        writer.upsert(build_document("m_acme", payment_id, snapshot))
    assert [file.name for file in left if file.exists()] == []
    assert sorted(f.name for f in tmp_path.iterdir() if f.name.startswith(".")) == []
    writer.close()
