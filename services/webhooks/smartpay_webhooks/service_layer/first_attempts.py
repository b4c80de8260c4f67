"""The first attempt of a new delivery, made by the event consumer as the outcome arrives: no second queue
hop between the payment outcome and the merchant (issue #19: at most one hop + 20 ms added). It starts
before the consumer writes the delivery (service_layer/fanout.py; the consumer waits up to 0.1 s for
the request to go out, then writes) and waits for that write before it queues or records anything.

Bounded so that a slow or dead endpoint holds up nothing else:
- each first attempt runs on a pool of its own, `width` at most at once per instance: the consumer hands
  it over and goes on with the next record; a delivery that finds the pool full goes to the delivery
  queue (the deliverer makes its first attempt) instead of waiting;
- its timeout is short (`timeout_seconds`, 1 s by default; retries have the full request timeout); a
  timeout is a failed attempt like any other, retried on the schedule by the deliverer;
- the endpoint's caps apply as to every attempt (over them, the task is queued for later);
- an endpoint marked failing gets no first attempt here (fan_out queues its deliveries).
The invocation waits for its first attempts before it returns (a Lambda is frozen after it returns), so
an invocation lasts at most one first-attempt timeout longer than its records' fan-out.

At least once: an attempt that raised (KMS, the delivery log or Redis unreachable) is handed to the
delivery queue; if that fails too, `settle` raises, the batch fails and the redelivered events dispatch
the still unattempted deliveries again (fan_out). A delivery whose write failed is left to its event,
which the consumer failed and which comes back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from smartpay_webhooks.domain.model import Delivery, Endpoint
from smartpay_webhooks.service_layer.delivery import Deliverer
from smartpay_webhooks.service_layer.ports import DeliveryQueue, DeliveryTask

log = logging.getLogger("smartpay.webhooks.first_attempts")
QUEUED = "queued"  # the outcome of a first attempt the consumer did not make: the deliverer will
HEAD_START_SECONDS = 0.1  # the longest the consumer waits for a first attempt's request to go out
UNWRITTEN = "unwritten"  # the delivery could not be written: the event is redelivered
Stored = Callable[[], Delivery | None]  # waits for the delivery's write: as stored, None if attempted before


class FirstAttempts:
    def __init__(self, deliverer: Deliverer, queue: DeliveryQueue, *, width: int, timeout_seconds: float):
        self.deliverer, self.queue, self.timeout_seconds = deliverer, queue, timeout_seconds
        self.width = width
        self._slots = threading.BoundedSemaphore(max(1, width))
        self._pool = ThreadPoolExecutor(max(1, width), thread_name_prefix="webhooks-first-attempt")

    def start(self, task: DeliveryTask, delivery: Delivery, endpoint: Endpoint, stored: Stored) -> Future | None:
        """The attempt, started now (while the caller writes the delivery: `stored` waits for the write);
        None if no slot is free (the caller queues the task once the delivery is written)."""
        if self.width < 1 or not self._slots.acquire(blocking=False):
            return None
        going = threading.Event()
        try:
            future = self._pool.submit(self._run, task, delivery, endpoint, stored, going)
        except BaseException:
            self._slots.release()
            raise
        # A head start: the caller's write would compete with the attempt for the interpreter until its
        # request is out (reading the caps, signing); bounded, and a slow endpoint does not lengthen it.
        going.wait(HEAD_START_SECONDS)
        return future

    def _run(self, task: DeliveryTask, delivery: Delivery, endpoint: Endpoint, stored: Stored,
             going: threading.Event) -> str:
        try:
            return self.deliverer.first_attempt(task, delivery, endpoint, self.timeout_seconds, stored, going.set)
        except Exception:
            log.exception("first attempt failed: handed to the delivery queue")
            try:
                written = stored()
            except Exception:
                return UNWRITTEN  # the write failed: the consumer failed that record, its event comes back
            if written is None:
                return "duplicate"
            self.queue.enqueue(task, 0)  # raises if the queue is unreachable too: settle() fails the batch
            return QUEUED
        finally:
            going.set()
            self._slots.release()

    @staticmethod
    def settle(futures: Iterable[Future]) -> dict[str, int]:
        """Wait for the attempts; their outcomes counted. Re-raises an attempt neither made nor queued."""
        counts: dict[str, int] = {}
        pending = list(futures)
        wait(pending)
        for future in pending:
            outcome = future.result()
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts
