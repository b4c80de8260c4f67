"""Commit a transition: conditional write with its events in the outbox, then publish and clear.
A publish that fails leaves the events in the outbox: the next handler of this payment or the
sweeper re-sends them (consumers dedupe, so a duplicate is harmless)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from smartpay_payment.adapters.repository import DynamoPaymentRepository, Stored
from smartpay_payment.domain.model import Payment, Transition
from smartpay_shared.events.envelope import Envelope, Metadata, Producer, new_envelope
from smartpay_shared.runtime.publisher import PublishError

log = logging.getLogger(__name__)


@dataclass
class PaymentStore:
    repo: DynamoPaymentRepository
    publisher: object  # EventPublisher-like: publish(*envelopes)
    producer: Producer

    def envelopes(self, payment: Payment, events: list[BaseModel], causation: Metadata | None) -> list[Envelope]:
        return [new_envelope(e, producer=self.producer, correlation_id=payment.payment_id, causation=causation,
                             idempotency_key=f"{payment.payment_id}:v{payment.version}:{type(e).__name__}")
                for e in events]

    def commit(self, transition: Transition, causation: Metadata | None = None, *, new: bool = False,
               deadline_at: datetime | None = None) -> Payment:
        after = transition.after
        envelopes = self.envelopes(after, transition.events, causation)
        self.repo.save(after, envelopes, expected_version=None if new else transition.before.version,
                       deadline_at=deadline_at)
        self.publish(after.payment_id, envelopes)
        return after

    def publish(self, payment_id: str, envelopes: list[Envelope]) -> None:
        if not envelopes:
            return
        try:
            self.publisher.publish(*envelopes)
        except PublishError:
            log.warning("publish failed; events stay in the outbox of %s", payment_id)
            raise
        self.repo.clear_outbox(payment_id, [e.metadata.event_id for e in envelopes])

    def flush(self, stored: Stored) -> None:
        """Re-send what an earlier transition wrote but did not manage to publish."""
        if stored.outbox:
            self.publish(stored.payment.payment_id, list(stored.outbox.values()))
