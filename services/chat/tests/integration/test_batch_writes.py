"""One bulk write per queue batch on the real DuckDB engine: every document gets the outcome it would have had
written alone, in the batch's order; the latest version of each (merchant, payment) wins; merchants never
touch each other's rows; the batch's rows reach readers through the shared file's publish, vectors with them."""

import dataclasses
import random

import pytest

from smartpay_chat.adapters import duckdb_search, duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
from smartpay_chat.domain.document import build_document
from smartpay_chat.synthetic import snapshots


class UnitEmbedder:
    """Deterministic vectors that tell the text apart (its length in the first component)."""

    model_id, dimension = "batch-test", duckdb_search.VECTOR_DIM

    def __init__(self):
        self.calls = []

    def embed(self, texts):
        self.calls.append(list(texts))
        return [[float(len(t))] + [0.0] * (self.dimension - 1) for t in texts]


def _doc(chat_now, merchant, payment_id, version, seed=1, **changes):
    ((_, _, snapshot),) = snapshots(1, now=chat_now, seed=seed, merchants=(merchant,))
    snapshot = snapshot.model_copy(update={"version": version, **changes})
    return build_document(merchant, payment_id, snapshot)


def _state(index):
    rows = index._db.execute("SELECT merchant_id, payment_id, version, country FROM payments ORDER BY 1, 2").fetchall()
    vectors = index._db.execute(f"SELECT merchant_id, payment_id, vector[1] FROM {duckdb_search.VECTORS} "
                                "ORDER BY 1, 2").fetchall()
    return rows, vectors


def test_duplicates_and_out_of_order_versions_in_one_batch(chat_now):
    """v9, then v7 late, v9 redelivered and v8 late: 9 wins, each outcome is the one of a write alone."""
    index = DuckDBPaymentIndex(":memory:", embedder=UnitEmbedder())
    v9 = _doc(chat_now, "m_acme", "pay_BATCH0001", 9, country="DE")
    v7 = _doc(chat_now, "m_acme", "pay_BATCH0001", 7, country="FR")
    v8 = _doc(chat_now, "m_acme", "pay_BATCH0001", 8, country="ES")
    results = index.upsert_batch([v9, v7, v9, v8], defer_vector=True)
    assert [(r.outcome, r.stored_version) for r in results] == [
        ("created", 9), ("stale", 9), ("duplicate", 9), ("stale", 9)]
    assert index.write_deferred_vectors() == 1  # one vector per payment, the stored version's
    assert _state(index) == ([("m_acme", "pay_BATCH0001", 9, "DE")],
                             [("m_acme", "pay_BATCH0001", float(len(v9.embedding_text)))])
    # In order within a batch: v7 then v9 both write (v7 created, v9 updated), as two writes alone would.
    later = [_doc(chat_now, "m_acme", "pay_BATCH0002", 7, country="FR"),
             _doc(chat_now, "m_acme", "pay_BATCH0002", 9, country="DE")]
    assert [(r.outcome, r.stored_version) for r in index.upsert_batch(later)] == [("created", 7), ("updated", 9)]
    assert index.get("m_acme", "pay_BATCH0002").country == "DE"
    index.close()


def test_a_batch_mixing_merchants_keeps_each_merchants_row(chat_now):
    """The same payment id under two merchants is two payments: neither write touches the other's row."""
    index = DuckDBPaymentIndex(":memory:")
    index.upsert(_doc(chat_now, "m_beta", "pay_SHARED001", 12, country="GB"))
    batch = [_doc(chat_now, "m_acme", "pay_SHARED001", 3, country="DE"),
             _doc(chat_now, "m_beta", "pay_SHARED001", 5, country="FR"),  # older than m_beta's 12: stale
             _doc(chat_now, "m_acme", "pay_SHARED001", 4, country="ES"),
             _doc(chat_now, "m_beta", "pay_OTHER0001", 2, country="JP")]
    assert [(r.outcome, r.stored_version) for r in index.upsert_batch(batch)] == [
        ("created", 3), ("stale", 12), ("updated", 4), ("created", 2)]
    assert (index.get("m_acme", "pay_SHARED001").version, index.get("m_acme", "pay_SHARED001").country) == (4, "ES")
    assert (index.get("m_beta", "pay_SHARED001").version, index.get("m_beta", "pay_SHARED001").country) == (12, "GB")
    assert index.get("m_acme", "pay_OTHER0001") is None and index.get("m_beta", "pay_OTHER0001").version == 2
    index.close()


@pytest.mark.parametrize("seed", range(6))
def test_a_batch_gives_what_the_same_writes_give_one_at_a_time(chat_now, seed):
    """Random batches (few payments, two merchants, versions repeated and out of order, some already stored):
    upsert_batch answers and stores exactly what one upsert per document, in order, does."""
    rng = random.Random(seed)
    keys = [(m, f"pay_RAND{seed}{i:04d}") for m in ("m_acme", "m_beta") for i in range(3)]
    docs = {(m, p, v): _doc(chat_now, m, p, v, seed=v, country=rng.choice(["DE", "FR", "GB"]))
            for m, p in keys for v in range(1, 6)}
    one_by_one, batched = (DuckDBPaymentIndex(":memory:", embedder=UnitEmbedder()) for _ in range(2))
    for index in (one_by_one, batched):  # the same stored state before the batches
        for m, p in keys[::2]:
            index.upsert(docs[(m, p, 3)])
    for _ in range(4):
        batch = [docs[(*rng.choice(keys), rng.randint(1, 5))] for _ in range(rng.randint(1, 10))]
        expected = [one_by_one.upsert(d, defer_vector=True) for d in batch]
        assert batched.upsert_batch(batch, defer_vector=True) == expected
        one_by_one.write_deferred_vectors()
        batched.write_deferred_vectors()
        assert _state(batched) == _state(one_by_one)
    one_by_one.close()
    batched.close()


def test_a_batch_reaches_readers_through_the_publish_with_its_vectors(tmp_path, chat_now):
    """The worker's shared file: a batch written at once marks every payment it wrote for the delta, the
    vectors follow at the batch's end (dirty first), and the reader sees the latest version per merchant."""
    path = tmp_path / "payments.duckdb"
    embedder = UnitEmbedder()
    writer = SharedFileDuckDBIndex(path, embedder=embedder, idle_close_seconds=0)
    writer.upsert(_doc(chat_now, "m_acme", "pay_PUB0000001", 1))  # a base with one row, then deltas
    embedder.calls.clear()
    batch = [_doc(chat_now, "m_acme", "pay_PUB0000001", 6, country="DE"),
             _doc(chat_now, "m_beta", "pay_PUB0000001", 2, country="FR"),
             _doc(chat_now, "m_acme", "pay_PUB0000001", 4, country="ES"),
             _doc(chat_now, "m_acme", "pay_PUB0000002", 3, country="GB")]
    with writer.batch():
        assert [r.outcome for r in writer.upsert_batch(batch)] == ["updated", "created", "stale", "created"]
        assert embedder.calls == []  # vectors wait for the batch's end
    assert [len(texts) for texts in embedder.calls] == [3]  # one model call, one text per payment written
    writer.close()
    assert duckdb_shared.read_manifest(path)["delta"]  # published as a delta over the base
    reader = SharedFileDuckDBIndex(path, read_only=True)
    assert (reader.get("m_acme", "pay_PUB0000001").version, reader.get("m_acme", "pay_PUB0000001").country) == (
        6, "DE")
    assert reader.get("m_beta", "pay_PUB0000001").country == "FR"
    assert reader.get("m_beta", "pay_PUB0000002") is None and reader.get("m_acme", "pay_PUB0000002").version == 3
    reader.close()
    snapshot = duckdb_shared.open_snapshot(path)
    try:
        assert set(snapshot.connection.execute(f"SELECT merchant_id, payment_id FROM {duckdb_search.VECTORS}")
                   .fetchall()) == {("m_acme", "pay_PUB0000001"), ("m_beta", "pay_PUB0000001"),
                                    ("m_acme", "pay_PUB0000002")}
    finally:
        snapshot.close()


def test_a_failed_batch_write_writes_nothing(chat_now):
    """The batch is one transaction: a row the engine refuses rolls the whole batch back, vectors included."""
    index = DuckDBPaymentIndex(":memory:", embedder=UnitEmbedder())
    good = _doc(chat_now, "m_acme", "pay_ATOMIC001", 2)
    bad = dataclasses.replace(_doc(chat_now, "m_acme", "pay_ATOMIC002", 2), amount_minor=2**70)  # over BIGINT
    with pytest.raises(Exception):  # noqa: B017, PT011 - DuckDB's conversion error
        index.upsert_batch([good, bad], defer_vector=True)
    assert index.get("m_acme", "pay_ATOMIC001") is None and index.write_deferred_vectors() == 0
    index.close()


def test_the_vector_is_the_stored_versions_when_invocations_append_out_of_order(chat_now):
    """Two invocations side by side: A commits v2, B commits v3, but B hands its vector document in before A (the
    appends happen after each commit). The vector written is v3's, the version the row holds."""
    index = DuckDBPaymentIndex(":memory:", embedder=UnitEmbedder())
    v2 = _doc(chat_now, "m_acme", "pay_RACE0001", 2, seed=2, country="FR")
    v3 = _doc(chat_now, "m_acme", "pay_RACE0001", 3, country="DE")
    assert v2.embedding_text != v3.embedding_text
    index.upsert_batch([v2], defer_vector=True)
    index.upsert_batch([v3], defer_vector=True)
    index._deferred_vectors.reverse()  # the order the two invocations' appends can take
    assert index.write_deferred_vectors() == 1
    assert _state(index) == ([("m_acme", "pay_RACE0001", 3, "DE")],
                             [("m_acme", "pay_RACE0001", float(len(v3.embedding_text)))])
    index.close()
