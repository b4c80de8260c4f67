"""The embedded index shared between processes. DuckDB lets one process hold a file read-write, and while it
does no other process can open it, not even read-only. So:

- only the holder of the writer lock (`<file>.lock`) has the file open read-write. The indexer worker keeps
  its connection, and the lock, across SQS batches (`batch()`), so a batch pays no open on the saga's critical
  path;
- what readers see is a **publish**, named by a manifest (`<name>.read.json`, replaced atomically): a **base**,
  a full copy of the checkpointed main file (`<name>.read.<generation>.duckdb`), and a **delta**
  (`<name>.read.<generation>.d<sequence>.duckdb`): the current rows and vectors of every payment written since
  that base, exported in one read of the writer's connection. Each publish writes a new delta (small: the
  payments changed since the base) and a new manifest; the base is copied again only when the writer could not
  trust the published one (the file was written without publishing), or when the delta would hold more than
  `DELTA_MAX_ROWS` payments. So a refresh costs milliseconds, not a copy of the whole file (188 MB at 100,000
  payments with vectors);
- the refresh, as OpenSearch's: a batch that ends less than the refresh interval after the last publish leaves
  its writes unpublished and a timer publishes them when the interval is up (or the file is let go). The
  interval is `REFRESH_FACTOR` times what the last publish took, at least `MIN_REFRESH_SECONDS` (1 s) and at
  most `max_refresh_seconds` (1 s): a payment is searchable at most 1 s after its batch (the first batch after a
  quiet spell publishes at once). Each publish exports every payment written since the base, so it costs CPU per
  publish, not per payment: under load one a second carries all of that second's events;
- the worker lets the file go (closes the connection, then the lock) when no batch came for
  `idle_close_seconds`, or when another writer asks for it: `writer_lock` (a reindex, a lone write) holds a
  shared lock on `<file>.want` while it waits; the worker sees it at the end of a batch (or at the start of
  the next), lets go, and waits for those writers before it takes the lock again (an idle worker lets go on
  its timer anyway; `idle_close_seconds=0` closes after every batch). The kernel drops both locks when a
  process dies, so a crashed worker leaves nothing stale (DuckDB replays its WAL on the next open);
- the manifest records the main file's mtime when it was published (and again after the writer closed the
  file, which checkpoints it). A reader trusts the publish while a writer holds the lock (that writer
  publishes what it writes), or when the main file is no newer than that and has no WAL (a crashed writer's
  commits); otherwise (something wrote the main file without publishing) it opens the main file read-only
  for each call. A writer that takes the lock over a publish it cannot trust marks the manifest untrusted
  (readers then read the main file, waiting for it) and publishes a new base before its first batch. An empty
  or torn manifest is no publish. So: behind by at most the writer's refresh interval plus the reader's
  MAX_LAG_SECONDS, else slower (or 503);
- the writing process reads its own writes (through the writer while it holds it), never the publish;
- the API holds one in-memory DuckDB database with the base ATTACHed read-only and the delta over it
  (`payments` and `payment_vectors` are views: the base's rows without the delta's keys, plus the delta's;
  `payment_facts` is a table in the reader's memory: `payments` narrowed to the columns aggregates read, copied
  from the base once and brought to each delta in place, so an aggregate scans one table, no join).
  A question never pays for a publish (`Follower`): a background thread attaches each new delta and replaces
  the views and facts in one transaction while questions are answered (each in one read transaction: DuckDB's
  MVCC shows it one publish, whole), and opens a new base beside the ready one, then swaps it in. The base, and
  so DuckDB's cache of it, stays attached until the base itself changes. An answer may come from the publish
  before the current one while that one is less than MAX_LAG_SECONDS (0.5 s) old; an older one is waited for.

A call that meets the other process's lock retries briefly, then raises IndexUnavailable (the queue retries
the record; the API answers 503 with a retry hint)."""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import shutil
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import duckdb

from smartpay_chat.adapters import duckdb_plan, duckdb_search
from smartpay_chat.adapters.duckdb_index import TABLE, DuckDBPaymentIndex, quoted, transaction
from smartpay_chat.domain.batch_writes import key_of
from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.domain.plan import AggregatePlan, SearchPlan
from smartpay_chat.domain.summary import Summary, SummaryRow
from smartpay_chat.domain.windows import Bounds
from smartpay_chat.service_layer.ports import Embedder, PaymentIndex, QueryResult, SearchResult, UpsertResult

T = TypeVar("T")
log = logging.getLogger(__name__)
_now = time.monotonic  # the refresh's clock (tests move it)
REFRESH_FACTOR = 4.0  # publish at most every 4x the last publish's cost: the copy takes <= ~20 % of the writer
MIN_REFRESH_SECONDS = 1.0  # and at most once a second, however cheap the copy (each costs CPU: see the docstring)
MAX_REFRESH_SECONDS = 1.0  # OpenSearch's default refresh interval
# The indexer's connection runs on one DuckDB thread: its statements touch a batch of rows (and the publish a delta),
# too little to split, and DuckDB's pool of one thread per core spent CPU handing them out: in process (a vector
# write, a key lookup, a 300-payment export) 10-22 % less CPU with one thread (bench/bench_saga_cpu.py's chat worker).
WRITER_THREADS = 1
DELTA_MAX_ROWS = 2000  # payments written since the base before a publish copies the whole file again
_TABLES = (TABLE, duckdb_search.VECTORS)


def manifest_path(path: Path) -> Path:
    """Names the current publish: {generation, base, delta, sequence, main_mtime_ns}."""
    return path.with_name(f"{path.stem}.read.json")


_MANIFEST_KEYS = ("generation", "base", "delta", "sequence", "main_mtime_ns")


def read_manifest(path: Path) -> dict[str, Any] | None:
    """The current manifest; None when there is none, or it is empty, torn or not a manifest (no trusted
    publish: readers read the main file, the next writer publishes in full)."""
    try:
        manifest = json.loads(manifest_path(path).read_text())
    except (FileNotFoundError, ValueError):  # ValueError: empty, torn, not UTF-8
        return None
    if not isinstance(manifest, dict) or any(key not in manifest for key in _MANIFEST_KEYS):
        return None  # not a manifest
    return manifest


def _write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    target = manifest_path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as out:
        out.write(json.dumps(manifest))
        out.flush()
        os.fsync(out.fileno())  # on disk before the rename: a crash leaves the old manifest or the new one
    os.replace(tmp, target)  # atomic: a reader reads the old manifest or the new one, whole
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself
    finally:
        os.close(directory)


def _mark_untrusted(path: Path) -> None:
    """Tell readers the current publish misses writes in the main file (the writer holding the lock has not
    published them yet): they read the main file until the next publish replaces the manifest."""
    manifest = read_manifest(path)
    if manifest is not None and not manifest.get("untrusted"):
        _write_manifest(path, {**manifest, "untrusted": True})


def _prune(path: Path, manifest: dict[str, Any]) -> None:
    """Delete the published files the manifest no longer names (a reader holding one keeps its inode), and
    the temporary files a crashed publish left (the caller holds the writer lock: no other publish runs).
    Housekeeping after the publish is named: a file it cannot delete is logged and left to the next publish's
    prune, never an error of the publish (the caller would not know the manifest had moved on)."""
    keep = {manifest["base"], manifest["delta"]}
    try:
        for old in path.parent.glob(f"{path.stem}.read.*{path.suffix}"):
            if old.name not in keep:
                old.unlink(missing_ok=True)
        for leftover in path.parent.glob(f".{path.stem}.read.*.tmp*"):
            leftover.unlink(missing_ok=True)
        path.with_name(f"{path.stem}.read{path.suffix}").unlink(missing_ok=True)  # the single copy before deltas
    except OSError:
        log.warning("pruning old published copies of %s failed: the next publish tries again", path, exc_info=True)


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def want_path(path: Path) -> Path:
    return path.with_name(path.name + ".want")


def _flock(path: Path, operation: int) -> IO | None:
    """`path` opened and flocked (closing the handle unlocks it); None when a non-blocking lock is refused."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a")
    try:
        fcntl.flock(handle, operation)
    except BlockingIOError:
        handle.close()
        return None
    except BaseException:
        handle.close()
        raise
    return handle


@contextmanager
def writer_lock(path: Path):
    """Serialises writers (a reindex, a lone write) over write + publish, across processes. It asks a worker
    holding the file between batches to let go: it holds `<file>.want` shared while it waits and writes."""
    want = _flock(want_path(path), fcntl.LOCK_SH)
    try:
        lock = _flock(lock_path(path), fcntl.LOCK_EX)
        try:
            yield
        finally:
            lock.close()
    finally:
        want.close()


def wanted(path: Path) -> bool:
    """Whether a writer waits for the file or holds it (`writer_lock`, a lone write), asking the worker to let go."""
    probe = _flock(want_path(path), fcntl.LOCK_EX | fcntl.LOCK_NB)
    if probe is None:
        return True
    probe.close()
    return False


def publish(path: Path, source_fd: int | None = None) -> dict[str, Any]:
    """A full publish: copy the checkpointed main file (closed, or open and idle) to a new base and name it,
    with no delta, in the manifest. The caller holds the writer lock. Returns the manifest.

    `source_fd`: a descriptor of the main file that the process holding the DuckDB connection opened once
    and keeps until the connection is closed. DuckDB's lock on the file is a POSIX record lock, which the
    kernel drops when the process closes ANY descriptor of that file: a plain copy (open, read, close) in
    the holding process would silently unlock the file for every other process."""
    previous = read_manifest(path)
    generation = previous["generation"] + 1 if previous else 1
    target = path.with_name(f"{path.stem}.read.{generation}{path.suffix}")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if source_fd is None:
        shutil.copyfile(path, tmp)
    else:
        size = os.fstat(source_fd).st_size
        with open(tmp, "wb") as out:
            offset = 0
            while offset < size:  # sendfile with an offset: the descriptor is neither moved nor closed
                sent = os.sendfile(out.fileno(), source_fd, offset, size - offset)
                if sent == 0:
                    raise OSError(f"short copy of {path}: {offset} of {size} bytes")
                offset += sent
    os.replace(tmp, target)
    manifest = {"generation": generation, "base": target.name, "delta": None, "sequence": 0,
                "main_mtime_ns": path.stat().st_mtime_ns}
    _write_manifest(path, manifest)
    _prune(path, manifest)
    return manifest


def publish_delta(path: Path, writer: DuckDBPaymentIndex, current: dict[str, Any],
                  keys: set[tuple[str, str]]) -> dict[str, Any]:
    """Publish the rows of `keys` (every payment written since `current`'s base) as a new delta over that base,
    exported through the writer's open connection (no checkpoint, no copy). The caller holds the writer."""
    sequence = current["sequence"] + 1
    target = path.with_name(f"{path.stem}.read.{current['generation']}.d{sequence}{path.suffix}")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    writer.export(tmp, keys)
    os.replace(tmp, target)
    manifest = {**current, "delta": target.name, "sequence": sequence, "main_mtime_ns": path.stat().st_mtime_ns}
    _write_manifest(path, manifest)
    _prune(path, manifest)
    return manifest


def writer_active(path: Path) -> bool:
    """Whether a writer holds the writer lock (it publishes what it writes)."""
    try:
        handle = os.open(lock_path(path), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(handle)


FACTS = "payment_facts"  # the columns aggregates read, as `payments` holds them: what every aggregate scans
_FACT_COLUMNS = ", ".join(duckdb_plan.FACT_COLUMNS)
_KEY = "merchant_id, payment_id"


def _delta_keys(alias: str) -> str:
    return f"SELECT {_KEY} FROM {alias}.{TABLE}"


class SnapshotClosed(Exception):
    """The snapshot was let go (a new base replaced it) before this read began: read the follower's current one."""


class Snapshot:
    """A reader's in-memory DuckDB database over one publish: the base ATTACHed read-only, `payments` and
    `payment_vectors` as views of the base with the delta over it. `switch` moves it to a newer delta of the
    same base (the base stays attached: DuckDB keeps its cache).

    FACTS, what aggregates read, is a table in this database's memory rather than a view: the base's rows
    narrowed to duckdb_plan.FACT_COLUMNS, copied once when the base is opened (sorted by merchant and time, so a
    window's scan skips the other days' segments), and brought to each new delta in place (`_apply_delta`: the
    rows of the old and new delta's keys replaced by the new delta's, or the base's where the new delta no longer
    holds the key). So it holds exactly the rows of `payments` (a test compares them after every switch), and an
    aggregate scans one table instead of planning and running the base-anti-delta join every time.

    Reads and switches run on two connections of the one database: `read` on its own cursor inside one
    transaction, `switch` on the owner's connection in one transaction (ATTACH outside it). DuckDB's MVCC gives
    a read the views and FACTS as they were committed when it began, so a switch may run while a question is
    answered (the `Follower`'s thread does): the read sees the old publish whole or the new one whole, never a
    mix. Only the old delta's DETACH waits for the read in flight (`_reading`); it takes microseconds."""

    def __init__(self, path: Path, manifest: dict[str, Any], name: str = TABLE, **embedding: Any):
        self._dir, self.base, self.delta, self._alias = path.parent, manifest["base"], None, None
        self.generation, self.sequence = manifest["generation"], 0
        self._reading, self._closed = threading.Lock(), False  # a read in flight; set once let go
        # One DuckDB thread: the API function has 512 MB, a third of a vCPU, and DuckDB splits a scan by row group
        # (122,880 rows): a second thread only hands work over, and waits for the CPU on a busy host (the same
        # aggregates, payments being indexed meanwhile: p50 8.7 ms with one thread, 15.1 ms with two).
        self.connection = self._connection = duckdb.connect(config={"threads": 1})
        self._reader: duckdb.DuckDBPyConnection | None = None
        try:
            self._connection.execute(f"ATTACH {quoted(self._dir / self.base)} AS snap_base (READ_ONLY)")
            self._connection.execute(f"CREATE TABLE {FACTS} AS SELECT {_FACT_COLUMNS} FROM snap_base.{TABLE} "
                                     "ORDER BY merchant_id, created_at")
            self.switch(manifest)
            self._reader = self._connection.cursor()  # the reads' connection: sees what the owner committed
            self.index = DuckDBPaymentIndex(self._dir / self.base, name=name, read_only=True,
                                            connection=self._reader, facts=FACTS, **embedding)
        except BaseException:
            self.close()
            raise

    def holds(self, manifest: dict[str, Any]) -> bool:
        """Whether this snapshot is `manifest`'s publish or a newer one."""
        if manifest["base"] == self.base:
            return self.sequence >= manifest["sequence"]
        return self.generation > manifest["generation"]

    def read(self, call: Callable[[DuckDBPaymentIndex], T]) -> T:
        """`call` on this snapshot's index, in one read transaction: every statement sees one publish."""
        with self._reading:
            if self._closed:
                raise SnapshotClosed()
            self._reader.execute("BEGIN TRANSACTION")
            try:
                return call(self.index)
            finally:
                self._reader.execute("ROLLBACK")  # read only: nothing to keep

    def switch(self, manifest: dict[str, Any]) -> None:
        """Take the manifest's delta (same base): attach it, replace the views and bring FACTS to it in one
        transaction, detach the old one once no read uses it. On an error nothing changed (the new delta is let
        go). Reads may run meanwhile (they see the publish before the commit); one switch at a time."""
        assert manifest["base"] == self.base
        delta, old = manifest["delta"], self._alias
        alias = f"snap_d{manifest['sequence']}" if delta else None
        if delta and alias != old:
            self._connection.execute(f"ATTACH {quoted(self._dir / delta)} AS {alias} (READ_ONLY)")
        try:
            with transaction(self._connection):  # a failed COMMIT is the error raised, not the ROLLBACK's after it
                for table in _TABLES:
                    view = f"SELECT * FROM snap_base.{table}"
                    if delta:
                        view = (f"{view} b WHERE NOT EXISTS (SELECT 1 FROM {alias}.{table} d WHERE "
                                f"d.merchant_id = b.merchant_id AND d.payment_id = b.payment_id) "
                                f"UNION ALL SELECT * FROM {alias}.{table}")
                    self._connection.execute(f"CREATE OR REPLACE VIEW {table} AS {view}")
                self._apply_delta(old, alias)
        except BaseException:
            if alias and alias != old:
                self._connection.execute(f"DETACH {alias}")
            raise
        self.delta, self._alias, self.sequence = delta, alias, manifest["sequence"]
        if old and old != alias:
            try:
                with self._reading:  # a read that began before the commit may still scan the old delta
                    self._connection.execute(f"DETACH {old}")
            except duckdb.Error as e:  # the views already read the new delta: the old one stays attached, unused
                log.warning("could not detach the old delta %s: %s", old, e)

    def _apply_delta(self, old: str | None, new: str | None) -> None:
        """FACTS from base + `old` delta to base + `new` delta (either may be None: the base alone). The caller
        holds a transaction."""
        replaced = [_delta_keys(a) for a in (old, new) if a]
        if not replaced:
            return
        keys = " UNION ".join(replaced)
        self._connection.execute(f"DELETE FROM {FACTS} f USING ({keys}) k "
                                 "WHERE f.merchant_id = k.merchant_id AND f.payment_id = k.payment_id")
        if old:  # keys the new delta no longer holds: the base's row again (none when deltas only grow)
            back = f"({_delta_keys(old)} EXCEPT {_delta_keys(new)})" if new else f"({_delta_keys(old)})"
            self._connection.execute(f"INSERT INTO {FACTS} ({_FACT_COLUMNS}) SELECT {_FACT_COLUMNS} FROM "
                                     f"snap_base.{TABLE} b SEMI JOIN {back} k USING ({_KEY})")
        if new:
            self._connection.execute(f"INSERT INTO {FACTS} ({_FACT_COLUMNS}) SELECT {_FACT_COLUMNS} "
                                     f"FROM {new}.{TABLE}")

    def close(self) -> None:
        """Let the database go once no read is in flight (a later read raises SnapshotClosed)."""
        with self._reading:
            self._closed = True
            if self._reader is not None:
                self._reader.close()
            self._connection.close()


def open_snapshot(path: Path | str, **embedding: Any) -> Snapshot:
    """The current publish of the embedded index at `path`, for a reader (raises IndexUnavailable when none)."""
    path = Path(path)
    for _ in range(5):  # the writer may prune what the manifest named between our read and the attach
        manifest = read_manifest(path)
        if manifest is None:
            break
        try:
            return Snapshot(path, manifest, **embedding)
        except duckdb.Error as e:  # a base or delta gone or unreadable
            if read_manifest(path) == manifest:
                raise IndexUnavailable(f"the published copy of the embedded index {path} cannot be read: "
                                       f"{e}") from e
    raise IndexUnavailable(f"no published copy of the embedded index {path} to read")


MAX_LAG_SECONDS = 0.5  # how long a reader may answer from the publish before the current one
POLL_SECONDS = 0.05  # how often the follower's thread looks at the manifest between questions


class Follower:
    """The API's reader: answers from a ready Snapshot, which a background thread keeps in step with the
    publishes, so no question pays for a switch. The thread looks at the manifest every POLL_SECONDS (and when a
    question saw a newer one): a new delta is switched to in place (`Snapshot.switch`, while questions are
    answered from the publish before it, see Snapshot); a new base is opened as a new Snapshot beside the ready
    one (its FACTS copied: ~0.1-0.3 s at 100,000 payments), then swapped in, and the old one let go once the
    question reading it is answered.

    Staleness: a question answers from the ready snapshot while the publish it lacks is at most `max_lag`
    seconds old (by the manifest's time, so a process frozen between invocations, as Lambda's, waits on its first
    question after a long pause); past that it waits for the thread to catch up. So an answer holds every
    publish made more than `max_lag` seconds before it (plus the writer's refresh interval, 0.25-1 s after the
    write). With no snapshot ready yet (the first question, `api.warm` at init) it waits for the open. The
    thread's errors (a base unreadable) are retried; a question waiting on one gets IndexUnavailable after
    `wait_seconds`."""

    def __init__(self, path: Path, source: Callable[[], dict[str, Any] | None], *, wait_seconds: float,
                 max_lag: float | None = None, poll: float | None = None, **embedding: Any):
        self._path, self._source, self._wait, self._embedding = path, source, wait_seconds, embedding
        self._max_lag = MAX_LAG_SECONDS if max_lag is None else max_lag
        self._poll = POLL_SECONDS if poll is None else poll
        self._state = threading.Condition()  # guards everything below
        self.ready: Snapshot | None = None
        self._latest: dict[str, Any] | None = None  # the newest manifest seen, and since when (wall time)
        self._latest_since = 0.0
        self._behind_since: float | None = None  # wall time since when `ready` lacks a publish
        self._error: Exception | None = None  # the thread's last failure, None after a success
        self._closed = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def read(self, manifest: dict[str, Any], call: Callable[[DuckDBPaymentIndex], T]) -> T:
        while True:
            snapshot = self._snapshot_for(manifest)
            try:
                return snapshot.read(call)
            except SnapshotClosed:  # replaced by a new base between the pick and the read: read that one
                continue

    def _snapshot_for(self, manifest: dict[str, Any]) -> Snapshot:
        with self._state:
            if self._closed:
                raise IndexUnavailable("the index reader is closed")
            ready = self.ready
            if ready is not None and ready.holds(manifest):
                return ready
            self._note(manifest)
            self._start()
            self._wake.set()
            if ready is not None and time.time() - self._behind_since <= self._max_lag:
                return ready  # the thread brings it in; this question answers from the publish before
            deadline = time.monotonic() + self._wait
            while self.ready is None or not self.ready.holds(manifest):
                if self._closed:
                    raise IndexUnavailable("the index reader is closed")
                if self._error is not None and time.monotonic() >= deadline:
                    raise IndexUnavailable(f"the published copy of the embedded index cannot be read: "
                                           f"{self._error}") from self._error
                self._state.wait(max(0.01, deadline - time.monotonic()) if self._error else 1.0)
            return self.ready

    def _note(self, manifest: dict[str, Any]) -> None:
        """Remember `manifest` if it is newer than any seen, and since when `ready` lacks it (caller holds _state)."""
        latest = self._latest
        newer = latest is None or (manifest["generation"], manifest["sequence"]) > (latest["generation"],
                                                                                   latest["sequence"])
        if newer:
            try:
                published = manifest_path(self._path).stat().st_mtime
            except FileNotFoundError:
                published = time.time()
            self._latest, self._latest_since = manifest, min(published, time.time())
        if self._behind_since is None or newer:
            self._behind_since = min(self._behind_since or self._latest_since, self._latest_since)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="chat-index-follower", daemon=True)
            self._thread.start()
            _RUNNING.add(self)

    def _run(self) -> None:
        pause = 0.0
        while True:
            self._wake.wait(pause or self._poll)
            self._wake.clear()
            if self._closed:
                return
            try:
                if self._follow():
                    self._wake.set()  # moved: look again at once (a newer publish may have come meanwhile)
                pause = 0.0
            except Exception as e:  # noqa: BLE001 - retried; a waiting question reports it after its wait
                if str(e) != str(self._error):  # once per cause, not once per retry
                    log.warning("the index reader could not follow the publish: %s", e)
                with self._state:
                    self._error = e
                    self._state.notify_all()
                pause = min(max(pause * 2, 0.01), 0.2)

    def _follow(self) -> bool:
        """One step towards the newest trusted publish seen (here or by a question: with none trusted now, the
        one a question saw); True when the ready snapshot moved."""
        manifest = self._source()
        with self._state:
            if manifest is not None:
                self._note(manifest)
            target, ready = self._latest, self.ready
            if target is None:
                return False
            if ready is not None and ready.holds(target):
                self._behind_since = None
                return False
        if ready is not None and ready.base == target["base"]:
            ready.switch(target)  # in place, reads meanwhile see the publish before it
            replaced = None
        else:
            fresh = open_snapshot(self._path, **self._embedding)  # the new base beside the ready snapshot
            with self._state:
                if self._closed:
                    fresh.close()
                    return False
                replaced, self.ready = self.ready, fresh
        with self._state:
            self._error = None
            self._behind_since = None if self.ready.holds(self._latest) else self._latest_since
            self._state.notify_all()
        if replaced is not None:
            replaced.close()  # once the read in flight on it is answered
        return True

    def close(self) -> None:
        with self._state:
            self._closed = True
            ready, self.ready = self.ready, None
            self._state.notify_all()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        if ready is not None:
            ready.close()


_RUNNING: weakref.WeakSet[Follower] = weakref.WeakSet()  # followers whose thread was started


@atexit.register
def _stop_followers() -> None:
    """At exit, stop the followers' threads (a reader not closed): a daemon thread still inside DuckDB when the
    interpreter finalizes aborts the process ("FATAL: exception not rethrown")."""
    for follower in list(_RUNNING):
        follower.close()


class SharedFileDuckDBIndex(PaymentIndex):
    def __init__(self, path: Path | str, *, name: str = TABLE, read_only: bool = False,
                 wait_seconds: float = 2.0, embedder: Embedder | None = None,
                 no_embedder_reason: str | None = None, hold_reader: bool = True,
                 idle_close_seconds: float = 0.5, max_refresh_seconds: float = MAX_REFRESH_SECONDS):
        self.name, self._path, self._read_only, self._wait = name, Path(path), read_only, wait_seconds
        self._embedding = {"embedder": embedder, "no_embedder_reason": no_embedder_reason}
        self._hold_reader = hold_reader
        self._follower: Follower | None = None  # the reader's snapshot of the current publish, kept in step
        self._lock = threading.Lock()
        self._idle = idle_close_seconds
        self._max_refresh = max_refresh_seconds
        self._dirty = False  # written since the last publish
        self._published_at = float("-inf")  # monotonic time of the last publish, and what it cost
        self._publish_cost = 0.0
        self._batch_end = 0.0
        self._batch: DuckDBPaymentIndex | None = None  # the writer, while a batch runs
        self._batch_thread: int | None = None
        self._writer: DuckDBPaymentIndex | None = None  # open read-write only while `_lock_file` is locked
        self._lock_file: IO | None = None
        self._source: int | None = None  # the main file, held open with the writer (see `publish`)
        self._published: dict[str, Any] | None = None  # the writer's last publish, None: the next is a full one
        self._changed: set[tuple[str, str]] = set()  # payments written since that publish's base
        self._asking: IO | None = None  # a lone write's shared lock on `<file>.want`
        self._idle_close: threading.Timer | None = None
        self._writing = threading.Lock()  # one batch at a time; the idle close waits for it
        if not read_only:
            with writer_lock(self._path):
                DuckDBPaymentIndex(self._path, name=name).close()  # creates the file and the table once
                publish(self._path)

    def _open(self, path: Path, read_only: bool) -> DuckDBPaymentIndex:
        deadline, pause = time.monotonic() + self._wait, 0.01
        while True:
            try:
                return DuckDBPaymentIndex(path, name=self.name, read_only=read_only, **self._embedding,
                                          threads=None if read_only else WRITER_THREADS)
            except IndexUnavailable:
                if time.monotonic() + pause > deadline or (read_only and not path.exists()):
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.2)

    @contextmanager
    def batch(self, *, hold: bool = True):
        """Every write inside goes through one read-write connection, then, when the refresh is due, one
        checkpoint and one publish (an SQS batch). With `hold` the connection and the writer lock are kept for the next batch, until
        `idle_close_seconds` pass without one or another writer asks for the file."""
        if self._read_only or self._batch is not None:
            yield self
            return
        with self._writing:
            self._cancel_idle_close()
            if self._writer is not None and wanted(self._path):
                self._release()  # a writer asked between batches: it goes first (`_acquire` waits for it)
            if self._writer is None:
                self._acquire(hold)
            self._batch, self._batch_thread = self._writer, threading.get_ident()
            try:
                yield self
            finally:
                self._batch = self._batch_thread = None
                self._end_batch(hold)

    def _acquire(self, hold: bool) -> None:
        if hold:  # the worker: the writers that asked for the file go first
            _flock(want_path(self._path), fcntl.LOCK_EX).close()
        else:  # a lone write asks for the file as `writer_lock` does, so a worker holding it lets go
            self._asking = _flock(want_path(self._path), fcntl.LOCK_SH)
        try:
            self._lock_file = _flock(lock_path(self._path), fcntl.LOCK_EX)
            self._published, self._changed = self._trusted_publish(), set()
            if self._published is None:  # the publish misses what the main file holds: while this writer
                _mark_untrusted(self._path)  # holds the lock readers must not take it (they wait for the file)
            self._writer = self._open(self._path, read_only=False)
            if self._published is not None and self._published["delta"]:  # the next delta carries its rows on
                self._changed = self._writer.exported_keys(self._path.with_name(self._published["delta"]))
            self._source = os.open(self._path, os.O_RDONLY)  # closed only after the writer: see `publish`
            if self._published is None:  # a full publish before the first batch: readers wait no longer
                self._writer.checkpoint()
                self._published = publish(self._path, self._source)
        except BaseException:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self._unlock()
            raise

    def _trusted_publish(self) -> dict[str, Any] | None:
        """The manifest, if it holds all the closed main file does (checked before the writer opens it):
        then this writer publishes deltas over its base; otherwise its first publish is a full one."""
        manifest = read_manifest(self._path)
        try:
            main = self._path.stat()
        except FileNotFoundError:
            return None
        wal = self._path.with_name(self._path.name + ".wal")
        if (manifest is None or manifest.get("untrusted") or wal.exists()
                or main.st_mtime_ns != manifest["main_mtime_ns"]):
            return None
        return manifest

    def _end_batch(self, hold: bool) -> None:
        self._dirty = True  # before the vectors: if they fail, the close must not stamp the publish complete
        try:
            self._writer.write_deferred_vectors()
            self._batch_end = _now()
            keep = hold and self._idle > 0 and not wanted(self._path)
            if not keep or self._batch_end >= self._refresh_due():
                self._flush()
            if keep:
                self._schedule()
                return
        except BaseException:
            self._release(flush=False)
            raise
        self._release()

    def _refresh_due(self) -> float:
        interval = max(min(MIN_REFRESH_SECONDS, self._max_refresh), REFRESH_FACTOR * self._publish_cost)
        return self._published_at + min(self._max_refresh, interval)

    def _flush(self) -> None:
        """Publish: a delta over the base when it can, else checkpoint and copy a new base (the caller holds
        `_writing` and the writer)."""
        started = time.perf_counter()
        if self._published is None or len(self._changed) > DELTA_MAX_ROWS:
            self._writer.checkpoint()
            self._published, self._changed = publish(self._path, self._source), set()
        else:
            self._published = publish_delta(self._path, self._writer, self._published, self._changed)
        self._publish_cost, self._dirty = time.perf_counter() - started, False
        self._published_at = _now()

    def _schedule(self) -> None:
        """One timer: the pending refresh first (if any), then the idle close."""
        now = _now()
        at = self._refresh_due() if self._dirty else self._batch_end + self._idle
        self._idle_close = threading.Timer(max(0.0, at - now), self._on_timer)
        self._idle_close.daemon = True
        self._idle_close.start()

    def _on_timer(self) -> None:
        with self._writing:
            if self._idle_close is not threading.current_thread():  # cancelled by a batch meanwhile
                return
            self._idle_close = None
            if self._writer is None:
                return
            try:
                if self._dirty:
                    self._flush()
            except Exception:  # the next batch opens the file again; readers fall back to the main file
                log.exception("publishing the index copy failed: the writer lets the file go")
                self._release(flush=False)
                return
            if _now() >= self._batch_end + self._idle or wanted(self._path):
                self._release()
            else:
                self._schedule()

    def _cancel_idle_close(self) -> None:
        if self._idle_close is not None:
            self._idle_close.cancel()
            self._idle_close = None

    def _release(self, flush: bool = True) -> None:
        """Publish what is not yet, close the writer, then let the locks go. The caller holds `_writing`."""
        try:
            if flush and self._dirty:
                self._flush()
        finally:
            self._close_writer()

    def _close_writer(self) -> None:
        complete, self._dirty = not self._dirty and self._published is not None, False
        try:
            self._writer.close()  # checkpoints: the main file's mtime moves on
            if complete:  # the publish holds everything: say so for the closed file (still under the lock)
                self._published = {**self._published, "main_mtime_ns": self._path.stat().st_mtime_ns}
                _write_manifest(self._path, self._published)
            # otherwise (a failed publish) the manifest looks older than the file: readers read the file
        finally:
            self._writer = None
            if self._source is not None:
                os.close(self._source)  # after the writer: DuckDB's lock is gone with it anyway
                self._source = None
            self._unlock()

    def _unlock(self) -> None:
        for handle in (self._lock_file, self._asking):
            if handle is not None:
                handle.close()
        self._lock_file = self._asking = None

    def _write(self, call: Callable[[DuckDBPaymentIndex], T], keys: Iterable[tuple[str, str]]) -> T:
        if self._batch is not None:
            self._changed.update(keys)
            return call(self._batch)
        with self.batch(hold=False):  # a lone write is its own batch, and lets the file go after it
            self._changed.update(keys)
            return call(self._batch)

    def _trusted(self) -> dict[str, Any] | None:
        """The current publish if readers may use it: a writer holds the file (it publishes what it writes), or
        the main file is no newer than what was published and has no WAL (a crashed writer's commits); else
        None (read the main file). A manifest a writer marked untrusted (`_acquire`) is never used."""
        manifest = read_manifest(self._path)
        if manifest is None or manifest.get("untrusted"):
            return None
        if writer_active(self._path):
            return manifest
        try:
            main = self._path.stat()
        except FileNotFoundError:
            return None
        if self._path.with_name(self._path.name + ".wal").exists():
            return None
        return manifest if main.st_mtime_ns <= manifest["main_mtime_ns"] else None

    def _read(self, call: Callable[[DuckDBPaymentIndex], T]) -> T:
        if self._batch is not None and self._batch_thread == threading.get_ident():
            return call(self._batch)  # inside this thread's batch: its own writes
        if self._writer is not None:  # this process holds the writer: read its writes, not the publish
            with self._writing:
                if self._writer is not None:
                    return call(self._writer)
        manifest = self._trusted() if self._hold_reader else None
        deadline, pause = time.monotonic() + self._wait, 0.01
        while manifest is None:  # nothing trusted published: open the main file read-only for this call
            try:
                index = DuckDBPaymentIndex(self._path, name=self.name, read_only=True, **self._embedding)
            except IndexUnavailable:
                # A writer took the file meanwhile (it publishes), or a process without the lock holds it.
                if time.monotonic() + pause > deadline or not self._path.exists():
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
                manifest = self._trusted() if self._hold_reader else None
                continue
            try:
                return call(index)
            finally:
                index.close()
        return self._reader().read(manifest, call)

    def _reader(self) -> Follower:
        with self._lock:
            if self._follower is None:
                self._follower = Follower(self._path, self._trusted, wait_seconds=self._wait, name=self.name,
                                          **self._embedding)
            return self._follower

    def upsert(self, document: PaymentDocument) -> UpsertResult:
        if self._read_only:
            raise PermissionError("this embedded index was opened read-only (the API never writes)")
        return self._write(lambda ix: ix.upsert(document, defer_vector=True),  # vector at the batch's end
                           [key_of(document)])

    def upsert_batch(self, documents: Sequence[PaymentDocument]) -> list[UpsertResult]:
        """The documents of a queue batch in one transaction of the writer (one read, one INSERT), vectors at
        the batch's end as `upsert`'s."""
        if self._read_only:
            raise PermissionError("this embedded index was opened read-only (the API never writes)")
        return self._write(lambda ix: ix.upsert_batch(documents, defer_vector=True), [key_of(d) for d in documents])

    def get(self, merchant_id: str, payment_id: str) -> PaymentDocument | None:
        return self._read(lambda ix: ix.get(merchant_id, payment_id))

    def summarize(self, merchant_id: str, summary: Summary) -> list[SummaryRow]:
        return self._read(lambda ix: ix.summarize(merchant_id, summary))

    def execute(self, merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> QueryResult:
        return self._read(lambda ix: ix.execute(merchant_id, plan, bounds))

    def search(self, merchant_id: str, plan: SearchPlan, bounds: Bounds | None) -> SearchResult:
        return self._read(lambda ix: ix.search(merchant_id, plan, bounds))

    def close(self) -> None:
        with self._writing:
            self._cancel_idle_close()
            if self._writer is not None:
                self._release()
        with self._lock:
            follower, self._follower = self._follower, None
        if follower is not None:
            follower.close()
