"""The embedded index shared between processes. DuckDB lets one process hold a file read-write, and while it
does no other process can open it, not even read-only. So:

- only the holder of the writer lock (`<file>.lock`) has the file open read-write. The indexer worker keeps
  its connection, and the lock, across SQS batches (`batch()`), so a batch pays no open on the saga's critical
  path. At the end of each batch it checkpoints and **publishes** a copy, `<name>.read.duckdb`: copied to a
  temporary file, stamped with the source file's mtime, then renamed over the old copy (atomic; a reader
  holding the old copy keeps its inode);
- the copy is a refresh, as OpenSearch's: a batch that ends less than the refresh interval after the last
  publish leaves its writes in DuckDB's WAL (no checkpoint, no copy) and a timer publishes them when the interval
  is up (or the file is let go). The interval is `REFRESH_FACTOR` times what the last checkpoint and copy took,
  at least `MIN_REFRESH_SECONDS` (0.25 s) and at most `max_refresh_seconds` (1 s): the copy grows with the
  index (188 MB at 100,000 payments, ~1 s a batch), so without it the copy, not the writes, set how many
  payments a second the worker could index; and even a small copy, made after every batch, cost the worker
  ~14 ms of CPU per payment at 5 payments/s. A payment is searchable 0.25-1 s after its batch (the first batch
  after a quiet spell publishes at once); while the copy costs more than 0.25 s it takes up to half the
  worker's time (one copy per 1 s interval): at that size, use OpenSearch;
- the worker lets the file go (closes the connection, then the lock) when no batch came for
  `idle_close_seconds`, or when another writer asks for it: `writer_lock` (a reindex, a lone write) holds a
  shared lock on `<file>.want` while it waits; the worker sees it at the end of a batch (or at the start of
  the next), lets go, and waits for those writers before it takes the lock again (an idle worker lets go on
  its timer anyway; `idle_close_seconds=0` closes after every batch). The kernel drops both locks when a
  process dies, so a crashed worker leaves nothing stale (DuckDB replays its WAL on the next open);
- the writing process reads its own writes (through the writer while it holds it), never the copy;
- the API holds one read-only connection to the published copy and reopens it only when the copy changes
  (inode, size or mtime differ), so a question no longer pays the 25-35 ms open;
- when the copy is missing or older than the main file (a bulk reindex wrote the main file directly), the
  API opens the main file read-only for each call, as before: slower, never stale.

A call that meets the other process's lock retries briefly, then raises IndexUnavailable (the queue retries
the record; the API answers 503 with a retry hint)."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar

from smartpay_chat.adapters.duckdb_index import TABLE, DuckDBPaymentIndex
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
MIN_REFRESH_SECONDS = 0.25  # and at most 4 times a second, however cheap the copy (it costs CPU per payment)
MAX_REFRESH_SECONDS = 1.0  # OpenSearch's default refresh interval


def published_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.read{path.suffix}")


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


def publish(path: Path, source_fd: int | None = None) -> Path:
    """Copy the checkpointed main file (closed, or open and idle) to the published copy, stamped with the
    source's mtime. The caller holds the writer lock.

    `source_fd`: a descriptor of the main file that the process holding the DuckDB connection opened once
    and keeps until the connection is closed. DuckDB's lock on the file is a POSIX record lock, which the
    kernel drops when the process closes ANY descriptor of that file: a plain copy (open, read, close) in
    the holding process would silently unlock the file for every other process."""
    target = published_path(path)
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
    source = path.stat()
    os.utime(tmp, ns=(source.st_atime_ns, source.st_mtime_ns))
    os.replace(tmp, target)
    return target


class SharedFileDuckDBIndex(PaymentIndex):
    def __init__(self, path: Path | str, *, name: str = TABLE, read_only: bool = False,
                 wait_seconds: float = 2.0, embedder: Embedder | None = None,
                 no_embedder_reason: str | None = None, hold_reader: bool = True,
                 idle_close_seconds: float = 0.5, max_refresh_seconds: float = MAX_REFRESH_SECONDS):
        self.name, self._path, self._read_only, self._wait = name, Path(path), read_only, wait_seconds
        self._embedding = {"embedder": embedder, "no_embedder_reason": no_embedder_reason}
        self._hold_reader = hold_reader
        self._held: DuckDBPaymentIndex | None = None
        self._held_identity: tuple[int, int, int] | None = None
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
                return DuckDBPaymentIndex(path, name=self.name, read_only=read_only, **self._embedding)
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
            self._writer = self._open(self._path, read_only=False)
            self._source = os.open(self._path, os.O_RDONLY)  # closed only after the writer: see `publish`
        except BaseException:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            self._unlock()
            raise

    def _end_batch(self, hold: bool) -> None:
        try:
            self._writer.write_deferred_vectors()
            self._dirty = True
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
        """Checkpoint and publish the copy (the caller holds `_writing` and the writer)."""
        started = time.perf_counter()
        self._writer.checkpoint()
        publish(self._path, self._source)
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
        self._dirty = False  # closing checkpoints; a copy older than the main file sends readers to the file
        try:
            self._writer.close()
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

    def _write(self, call: Callable[[DuckDBPaymentIndex], T]) -> T:
        if self._batch is not None:
            return call(self._batch)
        with self.batch(hold=False):  # a lone write is its own batch, and lets the file go after it
            return call(self._batch)

    def _fresh_copy(self) -> tuple[int, int, int] | None:
        """The published copy's identity if it is as new as the main file, else None."""
        try:
            copy, main = published_path(self._path).stat(), self._path.stat()
        except FileNotFoundError:
            return None
        if copy.st_mtime_ns < main.st_mtime_ns:
            return None
        return copy.st_ino, copy.st_size, copy.st_mtime_ns

    def _read(self, call: Callable[[DuckDBPaymentIndex], T]) -> T:
        if self._batch is not None and self._batch_thread == threading.get_ident():
            return call(self._batch)  # inside this thread's batch: its own writes
        if self._writer is not None:  # this process holds the writer: read its writes, not the refreshed copy
            with self._writing:
                if self._writer is not None:
                    return call(self._writer)
        identity = self._fresh_copy() if self._hold_reader else None
        deadline, pause = time.monotonic() + self._wait, 0.01
        while identity is None:  # no fresh copy: open the main file read-only for this call
            try:
                index = DuckDBPaymentIndex(self._path, name=self.name, read_only=True, **self._embedding)
            except IndexUnavailable:
                # The writer holds the file: between its checkpoint and its publish (milliseconds), or a
                # reindex. Retry, and take the copy as soon as it is fresh again.
                if time.monotonic() + pause > deadline or not self._path.exists():
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
                identity = self._fresh_copy() if self._hold_reader else None
                continue
            try:
                return call(index)
            finally:
                index.close()
        with self._lock:
            if self._held is None or self._held_identity != identity:
                if self._held is not None:
                    self._held.close()
                self._held = None
                self._held = self._open(published_path(self._path), read_only=True)
                self._held_identity = identity
            return call(self._held)

    def upsert(self, document: PaymentDocument) -> UpsertResult:
        if self._read_only:
            raise PermissionError("this embedded index was opened read-only (the API never writes)")
        return self._write(lambda ix: ix.upsert(document, defer_vector=True))  # written at the batch's end

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
            if self._held is not None:
                self._held.close()
                self._held = None
