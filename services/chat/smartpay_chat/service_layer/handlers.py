"""Event handlers of the indexer: every payment from its first event. `payment.requested` writes the in-flight
document (status pending, the record's first version) and announces nothing; terminal events and refunds
replace it with the snapshot's document (a higher version) and publish `payment.indexed`.

A duplicate (this version already indexed) publishes `payment.indexed` again with the same event id, so a
delivery whose publish failed after the write still completes the saga. A stale event (a newer version is
indexed) writes and publishes nothing: the newer version's own event did or will.

A queue batch is written at once before its records are handled (service_layer/staged_writes.py): each handler then takes its
document's outcome from that write, the one it would have had written alone, in the batch's order."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from smartpay_shared.events import Envelope, Producer, new_envelope
from smartpay_shared.events.payloads import PaymentCompleted, PaymentIndexed, PaymentRefunded

from smartpay_chat.domain.document import PaymentDocument, build_document, build_pending_document
from smartpay_chat.domain.errors import InvalidPayment
from smartpay_chat.service_layer.ports import PaymentIndex, UpsertResult

Publish = Callable[[Envelope], None]
_IDS = uuid.UUID("b0d7e1c2-5a4f-4c3e-9f6b-1e2d3c4b5a69")


def indexed_event_id(payment_id: str, version: int) -> str:
    return str(uuid.uuid5(_IDS, f"payment.indexed:{payment_id}:{version}"))


def document_for(envelope: Envelope) -> PaymentDocument:
    """The document an indexed event writes (a refund's figures checked first): the one its handler upserts."""
    data = envelope.data
    if envelope.event_type == "payment.requested":
        return build_pending_document(data, envelope.metadata.occurred_at)  # type: ignore[arg-type]
    if envelope.event_type == "payment.refunded":
        _check_refund(data)  # type: ignore[arg-type]
    elif envelope.event_type != "payment.completed":
        raise ValueError(f"the indexer does not index {envelope.event_type}")
    return build_document(data.merchant_id, data.payment_id, data.payment)  # type: ignore[union-attr]


def _check_refund(data: PaymentRefunded) -> None:
    if data.currency != data.payment.currency:
        raise InvalidPayment(f"refund currency {data.currency} differs from the payment's {data.payment.currency}")
    if data.total_refunded != data.payment.refunded_amount:
        raise InvalidPayment(f"total_refunded {data.total_refunded} differs from the snapshot's refunded_amount "
                             f"{data.payment.refunded_amount}")


def _index(envelope: Envelope, index: PaymentIndex, publish: Publish, producer: Producer,
           document: PaymentDocument | None) -> UpsertResult:
    data: PaymentCompleted | PaymentRefunded = envelope.data  # type: ignore[assignment]
    result = index.upsert(document or document_for(envelope))
    if result.outcome != "stale":
        indexed = PaymentIndexed(payment_id=data.payment_id, merchant_id=data.merchant_id, index=result.index,
                                 document_version=data.payment.version)
        publish(new_envelope(indexed, producer=producer, correlation_id=data.payment_id,
                             causation=envelope.metadata, event_id=indexed_event_id(data.payment_id,
                                                                                    data.payment.version),
                             idempotency_key=f"{data.payment_id}:indexed:{data.payment.version}"))
    return result


def on_payment_requested(envelope: Envelope, index: PaymentIndex, publish: Publish, producer: Producer, *,
                         document: PaymentDocument | None = None) -> UpsertResult:
    """The payment in flight. Nothing is published: `payment.indexed` completes the saga, which has not ended.
    Delivered after a later event (out of order), its version is lower and the write is `stale`.
    `document`: `document_for(envelope)` when the caller built it already (the staged batch)."""
    return index.upsert(document or document_for(envelope))


def on_payment_completed(envelope: Envelope, index: PaymentIndex, publish: Publish, producer: Producer, *,
                         document: PaymentDocument | None = None) -> UpsertResult:
    return _index(envelope, index, publish, producer, document)


def on_payment_refunded(envelope: Envelope, index: PaymentIndex, publish: Publish, producer: Producer, *,
                        document: PaymentDocument | None = None) -> UpsertResult:
    return _index(envelope, index, publish, producer, document)

