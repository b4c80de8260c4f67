"""One queue's deletes, coalesced across a worker's concurrent invocations: what Lambda's event source mapping
does for the records a function handled (it deletes them in batches, not one call per invocation).

An invocation hands over the receipt handles of the records its handler succeeded on and goes on polling; one
thread per queue sends them with DeleteMessageBatch, up to 10 entries a call, as soon as 10 are waiting or the
oldest has waited `linger` seconds. Only handles of succeeded records are ever submitted (a failed record is left
to its visibility timeout and the redrive policy, as before), and `close()` sends every handle still waiting
before it returns, so a stopping worker loses no delete. A call that fails as a whole (the emulator restarting,
the network) is tried again; an entry SQS refuses is logged: the message reappears after its visibility timeout
and the idempotent handlers shrug off the duplicate, as they did when the delete was per invocation."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("smartpay.worker")

MAX_ENTRIES = 10  # the DeleteMessageBatch limit


class DeleteBatcher:
    def __init__(self, sqs_client: Any, queue_url: str, *, linger: float = 0.05, attempts: int = 3,
                 sleep: Callable[[float], None] = time.sleep):
        self._sqs, self._url, self._linger = sqs_client, queue_url, linger
        self._attempts, self._sleep = attempts, sleep
        self._waiting: list[tuple[str, float]] = []  # (receipt handle, when it was submitted)
        self._changed = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self.calls = 0  # DeleteMessageBatch calls sent (for tests and diagnostics)

    def start(self) -> DeleteBatcher:
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="sqs-deletes", daemon=True)
        self._thread.start()
        return self

    def submit(self, receipt_handles: Iterable[str]) -> None:
        """Delete these (records handled successfully). Not started: deleted now, in this thread."""
        handles = list(receipt_handles)
        if not handles:
            return
        if self._thread is None:
            for i in range(0, len(handles), MAX_ENTRIES):
                self._send(handles[i:i + MAX_ENTRIES])
            return
        now = time.monotonic()
        with self._changed:
            if self._closing:  # a late invocation after close(): still deleted, synchronously
                pending = True
            else:
                self._waiting.extend((h, now) for h in handles)
                self._changed.notify()
                pending = False
        if pending:
            for i in range(0, len(handles), MAX_ENTRIES):
                self._send(handles[i:i + MAX_ENTRIES])

    def close(self) -> None:
        """Send every handle still waiting, then stop the thread."""
        if self._thread is None:
            return
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._thread.join()
        self._thread = None

    def _next_batch(self) -> list[str] | None:
        with self._changed:
            while True:
                if len(self._waiting) >= MAX_ENTRIES or (self._waiting and self._closing):
                    break
                if self._waiting:
                    due = self._waiting[0][1] + self._linger - time.monotonic()
                    if due <= 0:
                        break
                    self._changed.wait(due)
                elif self._closing:
                    return None
                else:
                    self._changed.wait()
            batch, self._waiting = self._waiting[:MAX_ENTRIES], self._waiting[MAX_ENTRIES:]
        return [handle for handle, _ in batch]

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._send(batch)
            except Exception:  # noqa: BLE001 - the thread must outlive one bad batch; the messages reappear
                log.exception("deleting %d handled messages failed: they come back after their visibility timeout",
                              len(batch))

    def _send(self, handles: list[str]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]
        for attempt in range(1, self._attempts + 1):
            try:
                self.calls += 1
                response = self._sqs.delete_message_batch(QueueUrl=self._url, Entries=entries)
                break
            except Exception as e:  # noqa: BLE001 - the whole call failed: try again, then give up loudly
                if attempt == self._attempts:
                    raise
                log.warning("DeleteMessageBatch failed (%s: %s); retrying", type(e).__name__, e)
                self._sleep(0.1 * 2 ** (attempt - 1))
        for failure in response.get("Failed", []):
            # Not fatal: the message reappears and idempotent handlers shrug off the duplicate.
            log.error("delete failed for entry %s: %s", failure.get("Id"), failure.get("Message"))
