"""The unit of work: a transition is committed as one conditional write with its events in the outbox,
then published and cleared. A publish that fails leaves the events in the outbox: the next handler of
this payment or the sweeper re-sends them (consumers dedupe, so a duplicate is harmless).

Two latency savers, both safe because every write stays conditional on the version read:
- `recent(payment_id)`: the payment as this process last committed it, so the next step of a saga
  this process drives skips its read. A stale entry (another writer moved the saga) only costs a
  failed conditional write, after which the caller reads the table.
- `commit(..., defer=True)`: the events stay in the outbox (written, durable) and go out with the
  next commit of the same payment in one PutEvents, or at `flush_deferred`. The saga defers
  `payment.authorized` when a capture failed after it (the authorization is recorded first, then the
  failure); on the happy path both are one commit (charging.py). If the process dies in between, the
  sweeper sends them.

`UnitOfWork` runs on DynamoDB + EventBridge; `smartpay_payment.testing.fakes.FakeUnitOfWork` in memory."""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from pydantic import BaseModel

from smartpay_payment.domain.model import Payment, Transition
from smartpay_payment.service_layer.ports import ConcurrencyConflict, EventPublisher, PaymentRepository, Stored
from smartpay_shared.events.envelope import Envelope, Metadata, Producer, new_envelope
from smartpay_shared.runtime.publisher import PublishError

log = logging.getLogger(__name__)
RECENT_PAYMENTS = 4096  # per process; an entry is one Payment (a few kB)
# A failed publish is tried again this soon (the events are safe in the outbox meanwhile; consumers dedupe
# whatever a partial failure had already delivered), then left to the next handler or the sweeper.
PUBLISH_WAITS = (0.05, 0.2)
PATH_FIRST = ("payment.completed",)  # what the saga's next step (the indexer) waits for


def _path_first(envelopes: list[Envelope]) -> list[Envelope]:
    """The event the saga waits for first in the PutEvents batch: the emulator delivers entries in order
    (a 3-entry batch took ~30 ms, the last entry's delivery at its end); EventBridge promises no order
    between entries anyway, and no consumer relies on one."""
    return sorted(envelopes, key=lambda e: e.event_type not in PATH_FIRST)


class AbstractUnitOfWork(abc.ABC):
    """A repository of payments plus commit = conditional write + publish (cosmicpython's unit of work)."""

    payments: PaymentRepository
    producer: Producer

    def __init__(self, recent_size: int = RECENT_PAYMENTS, sleep: Callable[[float], None] = time.sleep):
        self.recent_size = recent_size
        self.sleep = sleep
        self._recent: OrderedDict[str, Payment] = OrderedDict()
        self._deferred: dict[str, list[Envelope]] = {}
        self._lock = threading.Lock()

    @abc.abstractmethod
    def _send(self, envelopes: list[Envelope]) -> None:
        """Put the envelopes on the bus in one call; PublishError when it fails."""

    @property
    def repo(self) -> PaymentRepository:
        """The payments repository under its earlier name (tests/e2e and tests/security read `store.repo`)."""
        return self.payments

    def envelopes(self, payment: Payment, events: list[BaseModel], causation: Metadata | None,
                  occurred_at: datetime | None = None) -> list[Envelope]:
        """`occurred_at`: the transition's time (None: now)."""
        return [new_envelope(e, producer=self.producer, correlation_id=payment.payment_id, causation=causation,
                             idempotency_key=f"{payment.payment_id}:v{payment.version}:{type(e).__name__}",
                             occurred_at=occurred_at)
                for e in events]

    def commit(self, transition: Transition, causation: Metadata | None = None, *, new: bool = False,
               deadline_at: datetime | None = None, defer: bool = False) -> Payment:
        """Write the transition's record if its version is still the one read (ConcurrencyConflict
        otherwise), then publish its events (with any deferred ones) unless `defer`."""
        after = transition.after
        envelopes = self.envelopes(after, transition.events, causation)
        try:
            self.payments.save(after, envelopes, expected_version=None if new else transition.before.version,
                               deadline_at=deadline_at)
        except ConcurrencyConflict:
            self.forget(after.payment_id)
            raise
        self._remember(after)
        if defer:
            with self._lock:
                self._deferred.setdefault(after.payment_id, []).extend(envelopes)
        else:
            self.publish(after.payment_id, _path_first([*envelopes, *self._take_deferred(after.payment_id)]))
        return after

    def publish(self, payment_id: str, envelopes: list[Envelope]) -> None:
        if not envelopes:
            return
        for wait in (*PUBLISH_WAITS, None):
            try:
                self._send(envelopes)
                break
            except PublishError:
                if wait is None:
                    log.warning("publish failed; events stay in the outbox of %s", payment_id)
                    raise
                self.sleep(wait)
        self.payments.clear_outbox(payment_id, [e.metadata.event_id for e in envelopes])

    def flush_deferred(self, payment_id: str) -> None:
        """Publish what `commit(defer=True)` left for this payment (a no-op when nothing is left)."""
        self.publish(payment_id, self._take_deferred(payment_id))

    def flush(self, stored: Stored) -> None:
        """Re-send what an earlier transition wrote but did not manage to publish."""
        if stored.outbox:
            self.publish(stored.payment.payment_id, list(stored.outbox.values()))

    # --- the per-process view of recent commits -------------------------------------------------
    def recent(self, payment_id: str) -> Payment | None:
        with self._lock:
            payment = self._recent.get(payment_id)
            if payment is not None:
                self._recent.move_to_end(payment_id)
            return payment

    def forget(self, payment_id: str) -> None:
        with self._lock:
            self._recent.pop(payment_id, None)

    def _remember(self, payment: Payment) -> None:
        with self._lock:
            known = self._recent.get(payment.payment_id)
            if known is not None and known.version > payment.version:
                return  # a concurrent commit of this process got further
            self._recent[payment.payment_id] = payment
            self._recent.move_to_end(payment.payment_id)
            while len(self._recent) > self.recent_size:
                self._recent.popitem(last=False)

    def _take_deferred(self, payment_id: str) -> list[Envelope]:
        with self._lock:
            return self._deferred.pop(payment_id, [])


class UnitOfWork(AbstractUnitOfWork):
    """On the payments table (DynamoPaymentRepository) and the bus (EventPublisher: PutEvents)."""

    def __init__(self, payments: PaymentRepository, publisher: EventPublisher, producer: Producer,
                 recent_size: int = RECENT_PAYMENTS):
        super().__init__(recent_size)
        self.payments = payments
        self.publisher = publisher
        self.producer = producer

    def _send(self, envelopes: list[Envelope]) -> None:
        self.publisher.publish(*envelopes)
