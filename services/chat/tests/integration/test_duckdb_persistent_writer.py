"""The worker keeps its read-write connection across batches and publishes after each (a delta over the base
copy; readers see both as one); it
lets the file go when idle or when another writer asks, and a worker killed with the file open loses nothing
it committed. Real DuckDB files; other processes are real subprocesses (DuckDB locks per process)."""

import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from smartpay_chat.adapters import duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
from smartpay_chat.domain.document import build_document
from smartpay_chat.domain.plan import AggregatePlan
from smartpay_chat.synthetic import snapshots

pytestmark = pytest.mark.integration
COUNT = AggregatePlan(metric="count")
NEVER = 3600.0  # an idle close that does not come during a test
DEADLINE = 30.0  # generous bound for another process to finish a step (never a timing assertion)
A_SNAPSHOT = """
from datetime import UTC, datetime
from smartpay_chat.domain.document import build_document
from smartpay_chat.synthetic import snapshots
(_, _, snapshot), = snapshots(1, now=datetime(2026, 12, 1, tzinfo=UTC))
"""
(_, _, SNAPSHOT), = snapshots(1, now=datetime(2026, 12, 1, tzinfo=UTC))

READ_COPY = """
import json, sys
from smartpay_chat.adapters.duckdb_shared import open_snapshot
db = open_snapshot(sys.argv[1]).connection  # the current publish: its base with its delta over it
print(json.dumps(sorted(r[0] for r in db.execute("SELECT payment_id FROM payments").fetchall())))
"""
OPEN_MAIN_READ_WRITE = """
import duckdb, sys, time
deadline = time.monotonic() + float(sys.argv[2])
while True:  # without writer_lock: only the worker's idle close can let this process in
    try:
        db = duckdb.connect(sys.argv[1])
        break
    except duckdb.IOException:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.02)
db.execute("UPDATE payments SET customer_id = 'cus_other_process' WHERE payment_id = 'pay_PW00000000'")
db.close()
"""
LONE_WRITE = A_SNAPSHOT + """
import sys
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
index = SharedFileDuckDBIndex(sys.argv[1], wait_seconds=10)
print("constructed", flush=True)
sys.stdin.readline()
index.upsert(build_document("m_acme", sys.argv[2], snapshot))
"""
DIE_WITH_THE_FILE_OPEN = A_SNAPSHOT + """
import sys, time
from smartpay_chat.adapters.duckdb_shared import SharedFileDuckDBIndex
index = SharedFileDuckDBIndex(sys.argv[1], idle_close_seconds=3600)
with index.batch():
    index.upsert(build_document("m_acme", "pay_PWCHECKPT1", snapshot))
with index.batch():  # committed (in the WAL), not checkpointed, connection open when the process dies
    index.upsert(build_document("m_acme", "pay_PWWALONLY1", snapshot))
    print("committed", flush=True)
    time.sleep(3600)
"""


def python(script: str, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, err
    return out


def copy_ids(path) -> list[str]:
    """The payment ids in the current publish, read by another process (as the API would)."""
    return json.loads(finished(python(READ_COPY, path)))


def wait_until(condition) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, "the other process never got that far"
        time.sleep(0.01)


def doc(n: int):
    return build_document("m_acme", f"pay_PW{n:08d}", SNAPSHOT)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "payments.duckdb"


def test_persistent_batches_publish_complete_copies(path, monkeypatch):
    # GIVEN a worker that keeps its connection and refreshes after every batch, and an API-style reader of the copy
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER, max_refresh_seconds=0)
    reader = SharedFileDuckDBIndex(path, read_only=True)
    opened = []
    real_open = SharedFileDuckDBIndex._open
    monkeypatch.setattr(SharedFileDuckDBIndex, "_open",
                        lambda self, target, read_only: opened.append(read_only) or real_open(self, target, read_only))
    written = []
    for batch in range(5):
        # WHEN a batch is written
        with worker.batch():
            for n in range(batch * 4, batch * 4 + 4):
                assert worker.upsert(doc(n)).outcome == "created"
                written.append(doc(n).payment_id)
        # THEN another process opening the copy read-only sees every document so far, and so does the API
        assert copy_ids(path) == sorted(written)
        assert reader.execute("m_acme", COUNT, None).matched == len(written)
    assert opened.count(False) == 1  # one read-write open for the five batches
    worker.close()
    reader.close()
    assert copy_ids(path) == sorted(written)  # still valid after the close


TRY_OPEN_READ_WRITE = """
import duckdb, sys
try:
    duckdb.connect(sys.argv[1]).close()
    print("opened")
except duckdb.IOException:
    print("refused")
"""


def test_the_file_stays_locked_against_other_processes_while_the_worker_holds_it(path):
    """DuckDB's lock is a POSIX record lock: the kernel drops it when the holding process closes any
    descriptor of the file, e.g. a plain copy for the published read copy. The copy must not unlock it."""
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER, max_refresh_seconds=0)
    for n in range(3):
        with worker.batch():
            worker.upsert(doc(n))
        assert finished(python(TRY_OPEN_READ_WRITE, path)).strip() == "refused"
    assert copy_ids(path) == ["pay_PW00000000", "pay_PW00000001", "pay_PW00000002"]
    worker.close()
    assert finished(python(TRY_OPEN_READ_WRITE, path)).strip() == "opened"


def test_an_idle_worker_lets_another_process_open_the_file(path):
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=0.05)
    with worker.batch():
        worker.upsert(doc(0))
    # WHEN the worker stays idle THEN a process that does not ask (no writer_lock) still gets the file
    finished(python(OPEN_MAIN_READ_WRITE, path, DEADLINE))
    with worker.batch():  # and the worker opens it again for its next batch
        worker.upsert(doc(1))
    assert worker.get("m_acme", "pay_PW00000000").customer_id == "cus_other_process"
    wait_until(lambda: copy_ids(path) == ["pay_PW00000000", "pay_PW00000001"])  # within the refresh interval
    worker.close()


def test_a_writer_that_asks_between_batches_goes_before_the_next_batch(path):
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER)
    lone = python(LONE_WRITE, path, "pay_PWLONE0001")
    assert lone.stdout.readline().strip() == "constructed"
    with worker.batch():
        worker.upsert(doc(0))
    # GIVEN a worker holding the file between batches  WHEN another process's lone write asks for it
    lone.stdin.write("go\n")
    lone.stdin.flush()
    wait_until(lambda: duckdb_shared.wanted(path))
    with worker.batch():  # THEN the next batch lets go first, waits for that write, then writes
        assert worker.upsert(build_document("m_acme", "pay_PWLONE0001", SNAPSHOT)).outcome == "duplicate"
        worker.upsert(doc(1))
    # the worker's own batch is published within the refresh interval (1 s): by its timer at the latest
    wait_until(lambda: copy_ids(path) == ["pay_PW00000000", "pay_PW00000001", "pay_PWLONE0001"])
    finished(lone)
    worker.close()


def test_a_reindex_that_asks_during_a_batch_gets_the_file_when_it_ends(path, tmp_path, monkeypatch):
    source = tmp_path / "snapshots.jsonl"
    source.write_text(json.dumps({"merchant_id": "m_acme", "payment_id": "pay_PWREINDEX1",
                                  "payment": SNAPSHOT.model_dump(mode="json")}) + "\n")
    env = {"CHAT_INDEX_PATH": str(path), "CHAT_INDEX_BACKEND": "embedded", "CHAT_EMBEDDINGS": "off"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER)
    with worker.batch():
        worker.upsert(doc(0))
        # the operator's `smartpay chat reindex --from-jsonl`, unchanged
        reindex = python("from smartpay_chat.entrypoints.cli import app; app(['reindex', '--from-jsonl', "
                         f"{str(source)!r}])")
        wait_until(lambda: duckdb_shared.wanted(path))
        worker.upsert(doc(1))
    assert "1 documents written" in finished(reindex)  # the batch's end let the file go
    assert copy_ids(path) == ["pay_PW00000000", "pay_PW00000001", "pay_PWREINDEX1"]
    worker.close()


def test_a_worker_killed_with_the_file_open_loses_nothing_it_committed(path):
    worker = python(DIE_WITH_THE_FILE_OPEN, path)
    assert worker.stdout.readline().strip() == "committed"
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=DEADLINE)
    # THEN the next open works (the kernel dropped the locks; DuckDB replays the WAL) and has both writes
    after = DuckDBPaymentIndex(path)
    assert after.get("m_acme", "pay_PWCHECKPT1") is not None
    assert after.get("m_acme", "pay_PWWALONLY1") is not None
    after.close()
    assert copy_ids(path) == ["pay_PWCHECKPT1"]  # the copy holds what the last finished batch published
    restarted = SharedFileDuckDBIndex(path)
    with restarted.batch():
        restarted.upsert(doc(0))
    assert copy_ids(path) == ["pay_PW00000000", "pay_PWCHECKPT1", "pay_PWWALONLY1"]
    restarted.close()


def test_a_reader_answers_from_the_publish_while_the_worker_holds_a_newer_main_file(path, monkeypatch):
    """While a writer holds the file, what it wrote but has not published yet (the refresh interval; a
    checkpoint moved the main file's mtime past the manifest's) is not waited for: the reader answers at once
    from the last publish and never tries the held main file (which would block it until 503)."""
    import os

    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER, max_refresh_seconds=30)
    with worker.batch():
        worker.upsert(doc(0))  # the first batch publishes at once
    with worker.batch():
        worker.upsert(doc(1))  # inside the refresh interval: written, not published
    main = path.stat()
    os.utime(path, ns=(main.st_atime_ns, main.st_mtime_ns + 10**9))  # as a checkpoint would
    tried_main = []
    real_init = duckdb_shared.DuckDBPaymentIndex.__init__

    def spy(self, target, *args, **kwargs):
        if str(target) == str(path):
            tried_main.append(target)
        real_init(self, target, *args, **kwargs)

    monkeypatch.setattr(duckdb_shared.DuckDBPaymentIndex, "__init__", spy)
    reader = SharedFileDuckDBIndex(path, read_only=True, wait_seconds=DEADLINE)
    assert reader.get("m_acme", "pay_PW00000000") is not None
    assert reader.get("m_acme", "pay_PW00000001") is None  # not published yet: never half a batch
    assert tried_main == []
    worker.close()  # publishes the rest, closes (checkpoints) and stamps the manifest with the closed file
    assert reader.get("m_acme", "pay_PW00000001") is not None
    assert tried_main == []  # the publish holds everything the closed file does: still not the main file
    reader.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_busy_worker_publishes_at_most_once_per_refresh_interval(path, monkeypatch):
    # GIVEN a refresh interval of 30 s on a clock the test moves (the copy's cost times the factor is above it)
    clock = Clock()
    monkeypatch.setattr(duckdb_shared, "_now", clock)
    monkeypatch.setattr(duckdb_shared, "REFRESH_FACTOR", 1e9)
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER, max_refresh_seconds=30)
    with worker.batch():
        worker.upsert(doc(0))
    assert copy_ids(path) == ["pay_PW00000000"]  # the first batch publishes at once
    # WHEN more batches end inside the interval THEN they are written but not copied yet
    clock.now += 10
    for n in (1, 2):
        with worker.batch():
            worker.upsert(doc(n))
    assert copy_ids(path) == ["pay_PW00000000"]
    assert worker.get("m_acme", "pay_PW00000002") is not None  # the writing process reads its own writes
    # WHEN a batch ends after the interval THEN everything written so far is published
    clock.now += 25
    with worker.batch():
        worker.upsert(doc(3))
    assert copy_ids(path) == [f"pay_PW0000000{n}" for n in range(4)]
    # AND closing publishes what a batch inside the next interval left
    with worker.batch():
        worker.upsert(doc(4))
    assert len(copy_ids(path)) == 4
    worker.close()
    assert copy_ids(path) == [f"pay_PW0000000{n}" for n in range(5)]


def test_writes_left_by_the_last_batch_are_published_when_the_interval_is_up(path, monkeypatch):
    monkeypatch.setattr(duckdb_shared, "REFRESH_FACTOR", 1e9)  # the interval is max_refresh_seconds
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER, max_refresh_seconds=0.2)
    for n in range(3):  # no batch comes after these: only the worker's timer can publish the last ones
        with worker.batch():
            worker.upsert(doc(n))
    wait_until(lambda: len(copy_ids(path)) == 3)
    assert worker._writer is not None  # published by the timer, the file still held for the next batch
    worker.close()


def test_a_cheap_copy_still_waits_for_the_refresh_floor(path, monkeypatch):
    # GIVEN the default factor (a small index copies in milliseconds) on a clock the test moves, the floor
    # scaled up (20 s of that clock) so that the worker's real timer cannot publish while the test looks
    clock = Clock()
    monkeypatch.setattr(duckdb_shared, "_now", clock)
    monkeypatch.setattr(duckdb_shared, "MIN_REFRESH_SECONDS", 20.0)
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER, max_refresh_seconds=30)
    with worker.batch():
        worker.upsert(doc(0))
    assert copy_ids(path) == ["pay_PW00000000"]  # the first batch after a quiet spell publishes at once
    # WHEN the next batch ends 8 s later THEN it waits for the floor, however cheap the copy
    clock.now += 8
    with worker.batch():
        worker.upsert(doc(1))
    assert copy_ids(path) == ["pay_PW00000000"]
    # WHEN a batch ends once the floor has passed THEN both are published
    clock.now += duckdb_shared.MIN_REFRESH_SECONDS
    with worker.batch():
        worker.upsert(doc(2))
    assert copy_ids(path) == [f"pay_PW0000000{n}" for n in range(3)]
    worker.close()


def test_a_reader_does_not_trust_the_publish_over_a_crashed_workers_wal(path):
    """A worker killed with commits in the WAL (not checkpointed: the main file's mtime has not moved) and no
    writer holding the lock: the publish lacks those commits, so the reader reads the main file (and its WAL)."""
    worker = python(DIE_WITH_THE_FILE_OPEN, path)
    assert worker.stdout.readline().strip() == "committed"
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=DEADLINE)
    assert path.with_name(path.name + ".wal").exists()
    assert copy_ids(path) == ["pay_PWCHECKPT1"]  # the publish: the last finished batch
    reader = SharedFileDuckDBIndex(path, read_only=True, wait_seconds=DEADLINE)
    assert reader.get("m_acme", "pay_PWWALONLY1") is not None
    assert reader.get("m_acme", "pay_PWCHECKPT1") is not None
    reader.close()


def test_the_worker_writes_on_one_duckdb_thread(path):
    # GIVEN a worker holding the file, and a plain index of the same file (no `threads`) afterwards
    worker = SharedFileDuckDBIndex(path, idle_close_seconds=NEVER)
    with worker.batch():
        assert worker.upsert(doc(1)).outcome == "created"
        # THEN the writer's connection runs one DuckDB thread (duckdb_shared.WRITER_THREADS)
        threads = worker._writer._db.execute("SELECT current_setting('threads')").fetchone()[0]
        assert threads == duckdb_shared.WRITER_THREADS == 1
    worker.close()
    plain = DuckDBPaymentIndex(path, read_only=True)
    default = plain._db.execute("SELECT current_setting('threads')").fetchone()[0]
    plain.close()
    assert default >= 1 and default == DuckDBPaymentIndex(":memory:")._db.execute(
        "SELECT current_setting('threads')").fetchone()[0]
