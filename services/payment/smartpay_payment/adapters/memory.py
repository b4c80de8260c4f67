"""In-memory payments repository: the same conditional-write and outbox semantics as the DynamoDB one
(a fake for fast unit tests of the saga and the payment service; no I/O)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from smartpay_payment.domain.model import TERMINAL, Payment
from smartpay_payment.service_layer.ports import ConcurrencyConflict, PaymentRepository, Stored
from smartpay_shared.events.envelope import Envelope


@dataclass
class _Item:
    record: str  # the payment as JSON, as the table keeps it: a reader never shares the writer's object
    version: int
    merchant_id: str
    outbox: dict[str, Envelope] = field(default_factory=dict)
    outbox_at: float | None = None
    deadline_at: float | None = None
    updated_ts: float = 0.0
    pending_refunds: int = 0
    terminal: bool = False


class InMemoryPaymentRepository(PaymentRepository):
    def __init__(self):
        self._items: dict[str, _Item] = {}
        self._lock = threading.Lock()
        self.writes = 0  # conditional writes that succeeded (tests count them)

    def get(self, payment_id: str, merchant_id: str | None = None) -> Stored | None:
        with self._lock:
            item = self._items.get(payment_id)
            if item is None or (merchant_id is not None and item.merchant_id != merchant_id):
                return None
            return Stored(Payment.model_validate_json(item.record), dict(item.outbox), item.outbox_at,
                          item.deadline_at)

    def save(self, payment: Payment, envelopes: list[Envelope], *, expected_version: int | None,
             deadline_at: datetime | None = None) -> None:
        with self._lock:
            item = self._items.get(payment.payment_id)
            if (item is not None) if expected_version is None else (item is None or item.version != expected_version):
                raise ConcurrencyConflict(f"{payment.payment_id} moved past version {expected_version}")
            outbox = {} if item is None else item.outbox
            outbox.update({e.metadata.event_id: e for e in envelopes})
            updated = payment.updated_at.timestamp()
            self._items[payment.payment_id] = _Item(
                payment.model_dump_json(), payment.version, payment.merchant_id, outbox,
                updated if envelopes else (item.outbox_at if item else None),
                int(deadline_at.timestamp()) if deadline_at else (item.deadline_at if item else None),
                updated, sum(1 for r in payment.refunds if r.status == "pending"), payment.state in TERMINAL)
            self.writes += 1

    def clear_outbox(self, payment_id: str, event_ids: list[str]) -> None:
        with self._lock:
            item = self._items.get(payment_id)
            for event_id in event_ids if item else ():
                item.outbox.pop(event_id, None)

    def sweep_candidates(self, now: datetime, outbox_before: datetime) -> list[Stored]:
        with self._lock:
            due = [pid for pid, i in self._items.items()
                   if (not i.terminal and i.deadline_at is not None and i.deadline_at < now.timestamp())
                   or (i.outbox and i.outbox_at is not None and i.outbox_at < outbox_before.timestamp())
                   or (i.pending_refunds and i.updated_ts < outbox_before.timestamp())]
        return [s for s in (self.get(pid) for pid in due) if s]

    def all(self) -> list[Stored]:
        with self._lock:
            ids = list(self._items)
        return [s for s in (self.get(pid) for pid in ids) if s]
