"""The API's reader takes every publish off the question's path (duckdb_shared.Follower, Snapshot): a background
thread switches the ready snapshot to each new delta in place and opens a new base beside it, while questions
answer from the snapshot they found. A question during a switch answers from the old publish or the new one,
whole (DuckDB's MVCC over one read transaction), never a mix; after a publish, answers catch up within the
follower's lag (MAX_LAG_SECONDS, 0.5 s), and a question that finds a publish older than that waits for it."""

import dataclasses
import os
import threading
import time

import pytest

from smartpay_chat import evaluation as ev
from smartpay_chat.adapters import duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex, read_manifest
from smartpay_chat.domain.plan import AggregatePlan

pytestmark = pytest.mark.integration
COUNT = AggregatePlan(metric="count")
LAG = 0.5  # the API's: the conftest sets 0 for the other tests, these set it themselves


@pytest.fixture
def published(tmp_path):
    """300 payments in a published base, and the writer's connection to publish deltas over it (holding the
    writer lock, as the worker does: readers trust its publishes)."""
    docs = ev.documents(300, seed=5)
    path = tmp_path / "payments.duckdb"
    writer = DuckDBPaymentIndex(path)
    writer.upsert_many(docs)
    writer.checkpoint()
    writer.close()
    base = duckdb_shared.publish(path)
    with duckdb_shared.writer_lock(path):
        writer = DuckDBPaymentIndex(path)
        yield path, docs, writer, base
        writer.close()


def _figures(index):
    """Two statements of one question: the aggregate (payment_facts) and a lookup (the payments view)."""
    return index.execute(ev.MERCHANT, COUNT, None).matched, index.get(ev.MERCHANT, "pay_NEW00000000") is not None


def _add(writer, docs, count):
    """`count` new payments of the merchant (pay_NEW…) written, not published; their keys."""
    added = [dataclasses.replace(d, payment_id=f"pay_NEW{i:08d}", merchant_id=ev.MERCHANT)
             for i, d in enumerate(docs[:count])]
    writer.upsert_batch(added)
    return {(d.merchant_id, d.payment_id) for d in added}


def _delta(path, writer, docs, current, count):
    """A delta over `current`'s base adding `count` new payments of the merchant."""
    return duckdb_shared.publish_delta(path, writer, current, _add(writer, docs, count))


def test_a_read_during_a_switch_sees_the_publish_before_it_whole(published):
    path, docs, writer, base = published
    snapshot = duckdb_shared.open_snapshot(path)
    try:
        before = snapshot.read(_figures)
        m1 = _delta(path, writer, docs, base, 25)
        committed, seen = threading.Event(), []

        def question(index):
            first = index.execute(ev.MERCHANT, COUNT, None).matched
            switching.start()  # the switch commits between this question's two statements
            probe = snapshot.connection.cursor()
            while probe.execute(f"SELECT count(*) FROM {duckdb_shared.FACTS}").fetchone()[0] == len(docs):
                time.sleep(0.005)
            committed.set()
            probe.close()
            seen.append((first, index.get(ev.MERCHANT, "pay_NEW00000000") is not None))
            return index.execute(ev.MERCHANT, COUNT, None).matched

        switching = threading.Thread(target=snapshot.switch, args=(m1,))
        last = snapshot.read(question)
        switching.join(timeout=30)
        assert committed.is_set() and snapshot.delta == m1["delta"]
        # THEN every statement of the question read the publish it began on, though the new one was committed
        assert seen == [before] and last == before[0]
        after = snapshot.read(_figures)  # and the next question reads the new one, whole
        assert after == (before[0] + 25, True)
    finally:
        snapshot.close()


def test_questions_never_switch_and_catch_up_within_the_lag(published, monkeypatch):
    monkeypatch.setattr(duckdb_shared, "MAX_LAG_SECONDS", LAG)
    path, docs, writer, base = published
    switched_on = []
    real_switch = duckdb_shared.Snapshot.switch
    monkeypatch.setattr(duckdb_shared.Snapshot, "switch",
                        lambda self, m: switched_on.append(threading.current_thread().name) or real_switch(self, m))
    reader = SharedFileDuckDBIndex(path, read_only=True)
    try:
        start = reader.execute(ev.MERCHANT, COUNT, None).matched
        current = base
        for n in (5, 10, 15):
            current = _delta(path, writer, docs, current, n)
            published_at = time.monotonic()
            while reader.execute(ev.MERCHANT, COUNT, None).matched != start + n:
                assert time.monotonic() - published_at < LAG + 1.0, "the reader did not catch up"
                time.sleep(0.01)
        assert switched_on and set(switched_on) == {"chat-index-follower"}  # never on a question's thread
    finally:
        reader.close()


def test_a_new_base_is_opened_beside_while_questions_answer_from_the_old(published, monkeypatch):
    monkeypatch.setattr(duckdb_shared, "MAX_LAG_SECONDS", LAG)
    path, docs, writer, base = published
    reader = SharedFileDuckDBIndex(path, read_only=True)
    opening, release = threading.Event(), threading.Event()
    try:
        start = reader.execute(ev.MERCHANT, COUNT, None).matched
        real_open = duckdb_shared.open_snapshot

        def slow_open(*args, **kwargs):
            opening.set()
            assert release.wait(30)
            return real_open(*args, **kwargs)

        monkeypatch.setattr(duckdb_shared, "open_snapshot", slow_open)
        _add(writer, docs, 7)
        writer.checkpoint()
        duckdb_shared.publish(path)  # a new base (generation 2) holding the 7
        assert read_manifest(path)["generation"] == 2
        assert opening.wait(5)  # the follower's thread is opening it
        started = time.monotonic()
        assert reader.execute(ev.MERCHANT, COUNT, None).matched == start  # the old base answers, at once
        assert time.monotonic() - started < LAG
        release.set()
        deadline = time.monotonic() + LAG + 5
        while reader.execute(ev.MERCHANT, COUNT, None).matched != start + 7:
            assert time.monotonic() < deadline, "the new base was never swapped in"
            time.sleep(0.01)
        assert reader._follower.ready.generation == 2
    finally:
        release.set()
        reader.close()


def test_a_question_waits_for_a_publish_older_than_the_lag(published, monkeypatch):
    """As after a Lambda environment was frozen between invocations: its thread did not run, the manifest is
    old, and the first question must not answer from the publish before it."""
    monkeypatch.setattr(duckdb_shared, "MAX_LAG_SECONDS", LAG)
    monkeypatch.setattr(duckdb_shared, "POLL_SECONDS", 3600.0)  # the thread looks only when a question asks
    path, docs, writer, base = published
    reader = SharedFileDuckDBIndex(path, read_only=True)
    try:
        start = reader.execute(ev.MERCHANT, COUNT, None).matched
        _delta(path, writer, docs, base, 9)
        old = time.time() - 60
        os.utime(duckdb_shared.manifest_path(path), (old, old))  # published a minute ago
        assert reader.execute(ev.MERCHANT, COUNT, None).matched == start + 9
    finally:
        reader.close()
