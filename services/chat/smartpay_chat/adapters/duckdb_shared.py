"""The embedded index shared between processes. DuckDB lets one process hold a file read-write, and while it
does no other process can open it, not even read-only. So:

- the indexer worker opens the file read-write for each SQS batch of writes (`batch()`; a lone write is its
  own batch), and after it closes it (which checkpoints) **publishes** a copy, `<name>.read.duckdb`: copied to a temporary file, stamped with the source file's
  mtime, then renamed over the old copy (atomic; a reader holding the old copy keeps its inode);
- the API holds one read-only connection to the published copy and reopens it only when the copy changes
  (inode, size or mtime differ), so a question no longer pays the 25-35 ms open;
- when the copy is missing or older than the main file (a bulk reindex wrote the main file directly), the
  API opens the main file read-only for each call, as before: slower, never stale.

A call that meets the other process's lock retries briefly, then raises IndexUnavailable (the queue retries
the record; the API answers 503 with a retry hint). Writers serialise on a lock file around write + publish."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from smartpay_chat.adapters.duckdb_index import TABLE, DuckDBPaymentIndex
from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.domain.plan import AggregatePlan, SearchPlan
from smartpay_chat.domain.summary import Summary, SummaryRow
from smartpay_chat.domain.windows import Bounds
from smartpay_chat.service_layer.ports import Embedder, PaymentIndex, QueryResult, SearchResult, UpsertResult

T = TypeVar("T")


def published_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.read{path.suffix}")


@contextmanager
def writer_lock(path: Path):
    """Serialises writers (the worker, a reindex) over write + publish, across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish(path: Path) -> Path:
    """Copy the (closed, checkpointed) main file to the published copy, stamped with the source's mtime.
    The caller holds `writer_lock`."""
    target = published_path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(path, tmp)
    source = path.stat()
    os.utime(tmp, ns=(source.st_atime_ns, source.st_mtime_ns))
    os.replace(tmp, target)
    return target


class SharedFileDuckDBIndex(PaymentIndex):
    def __init__(self, path: Path | str, *, name: str = TABLE, read_only: bool = False,
                 wait_seconds: float = 2.0, embedder: Embedder | None = None,
                 no_embedder_reason: str | None = None, hold_reader: bool = True):
        self.name, self._path, self._read_only, self._wait = name, Path(path), read_only, wait_seconds
        self._embedding = {"embedder": embedder, "no_embedder_reason": no_embedder_reason}
        self._hold_reader = hold_reader
        self._held: DuckDBPaymentIndex | None = None
        self._batch: DuckDBPaymentIndex | None = None
        self._held_identity: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
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
    def batch(self):
        """One read-write open, one close and one publish for every write inside (an SQS batch)."""
        if self._read_only or self._batch is not None:
            yield self
            return
        with writer_lock(self._path):
            self._batch = self._open(self._path, read_only=False)
            try:
                yield self
            finally:
                self._batch.close()
                self._batch = None
                publish(self._path)

    def _write(self, call: Callable[[DuckDBPaymentIndex], T]) -> T:
        if self._batch is not None:
            return call(self._batch)
        with writer_lock(self._path):
            index = self._open(self._path, read_only=False)
            try:
                result = call(index)
            finally:
                index.close()  # closing checkpoints the WAL into the file
            publish(self._path)
            return result

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
        identity = self._fresh_copy() if self._hold_reader else None
        if identity is None:  # no fresh copy: open the main file read-only for this call
            index = self._open(self._path, read_only=True)
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
        return self._write(lambda ix: ix.upsert(document))

    def get(self, merchant_id: str, payment_id: str) -> PaymentDocument | None:
        return self._read(lambda ix: ix.get(merchant_id, payment_id))

    def summarize(self, merchant_id: str, summary: Summary) -> list[SummaryRow]:
        return self._read(lambda ix: ix.summarize(merchant_id, summary))

    def execute(self, merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> QueryResult:
        return self._read(lambda ix: ix.execute(merchant_id, plan, bounds))

    def search(self, merchant_id: str, plan: SearchPlan, bounds: Bounds | None) -> SearchResult:
        return self._read(lambda ix: ix.search(merchant_id, plan, bounds))

    def close(self) -> None:
        with self._lock:
            if self._held is not None:
                self._held.close()
                self._held = None
