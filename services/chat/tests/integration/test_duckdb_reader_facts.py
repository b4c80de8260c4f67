"""The reader's `payment_facts` is a table in its memory, copied from the base and brought to each delta in place
(duckdb_shared.Snapshot): after every switch it holds exactly the rows of `payments` (the base with the delta
over it), whether the next delta grows the last one (as the writer publishes), drops a key of it (the base's row
comes back), or a switch fails half way (nothing changes). So no aggregate can read a figure the publish no
longer holds."""

import dataclasses
from decimal import Decimal

import duckdb
import pytest

from smartpay_chat import evaluation as ev
from smartpay_chat.adapters import duckdb_plan, duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.domain.plan import AggregatePlan

pytestmark = pytest.mark.integration
FACTS = ", ".join(duckdb_plan.FACT_COLUMNS)


def _facts(snapshot):
    return sorted(snapshot.connection.execute(f"SELECT {FACTS} FROM {duckdb_shared.FACTS}").fetchall())


def _payments(snapshot):
    return sorted(snapshot.connection.execute(f"SELECT {FACTS} FROM payments").fetchall())


def _changed(docs, version_bump, **changes):
    return [dataclasses.replace(d, version=d.version + version_bump, **changes) for d in docs]


@pytest.fixture
def published(tmp_path):
    docs = ev.documents(300, seed=5)
    path = tmp_path / "payments.duckdb"
    writer = DuckDBPaymentIndex(path)
    writer.upsert_many(docs)
    writer.checkpoint()
    writer.close()
    manifest = duckdb_shared.publish(path)
    writer = DuckDBPaymentIndex(path)
    yield path, docs, writer, manifest
    writer.close()


def test_facts_follow_every_delta_growing_shrinking_and_back(published):
    path, docs, writer, base = published
    snapshot = duckdb_shared.open_snapshot(path)
    try:
        assert snapshot.delta is None
        assert _facts(snapshot) == _payments(snapshot) and len(_facts(snapshot)) == len(docs)
        before = _facts(snapshot)
        first = _changed(docs[:40], 1, status="failed", amount_minor=1, amount=Decimal(1))
        added = [dataclasses.replace(d, payment_id=f"pay_NEW{i:08d}") for i, d in enumerate(ev.documents(25, seed=77))]
        writer.upsert_batch(first + added)
        keys = {(d.merchant_id, d.payment_id) for d in first + added}
        m1 = duckdb_shared.publish_delta(path, writer, base, keys)
        snapshot.switch(m1)
        assert _facts(snapshot) == _payments(snapshot)
        assert len(_facts(snapshot)) == len(docs) + len(added) and _facts(snapshot) != before
        # A delta that grows the last one (what the writer publishes): more changes, the earlier ones kept.
        second = _changed(docs[30:60], 2, gateway="solana")
        writer.upsert_batch(second)
        keys |= {(d.merchant_id, d.payment_id) for d in second}
        m2 = duckdb_shared.publish_delta(path, writer, m1, keys)
        snapshot.switch(m2)
        assert _facts(snapshot) == _payments(snapshot)
        # A delta without some keys of the last one: the base's rows of those come back, the added ones go.
        kept = {(d.merchant_id, d.payment_id) for d in docs[50:60]}
        m3 = duckdb_shared.publish_delta(path, writer, m2, kept)
        snapshot.switch(m3)
        assert _facts(snapshot) == _payments(snapshot) and len(_facts(snapshot)) == len(docs)
        assert {(r[1], r[0]) for r in _facts(snapshot)} == {(r[1], r[0]) for r in before}  # the base's keys
        assert sorted(set(_facts(snapshot)) - set(before)) != []  # the ten kept changes still show
        # The aggregate reads the table: the count matches the publish.
        count = snapshot.index.execute(ev.MERCHANT, AggregatePlan(metric="count"), None).matched
        assert count == sum(1 for r in _payments(snapshot) if r[1] == ev.MERCHANT)
    finally:
        snapshot.close()


def test_a_switch_that_fails_changes_nothing(published, monkeypatch):
    path, docs, writer, base = published
    snapshot = duckdb_shared.open_snapshot(path)
    try:
        changed = _changed(docs[:20], 1, status="failed")
        writer.upsert_batch(changed)
        m1 = duckdb_shared.publish_delta(path, writer, base, {(d.merchant_id, d.payment_id) for d in changed})
        before = _facts(snapshot)

        def broken(old, new):
            snapshot._connection.execute(f"DELETE FROM {duckdb_shared.FACTS}")
            raise duckdb.IOException("the delta went away half way")

        monkeypatch.setattr(snapshot, "_apply_delta", broken)
        with pytest.raises(duckdb.IOException):
            snapshot.switch(m1)
        assert snapshot.delta is None and _facts(snapshot) == before == _payments(snapshot)
        monkeypatch.undo()
        snapshot.switch(m1)  # the same delta again, now whole
        assert snapshot.delta == m1["delta"] and _facts(snapshot) == _payments(snapshot) != before
    finally:
        snapshot.close()
