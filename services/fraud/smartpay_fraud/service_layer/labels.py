"""Fraud labels in: a chargeback (`payment.disputed`), a merchant's fraud report (`fraud.reported`, published by
POST /fraud/reports) or a file (`smartpay fraud labels import`) all end in the label store with the time the label
became known; payments scored later read it in their label-delayed windows only if their time is at or after it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from smartpay_shared.events import Envelope, Producer, new_envelope
from smartpay_shared.events.payloads import FraudReported, PaymentDisputed

from smartpay_fraud.domain.errors import InvalidLabel, UnknownPayment
from smartpay_fraud.domain.labels import FRAUD_DISPUTE_REASONS, Label, transaction_id

CLOCK_SKEW = timedelta(seconds=60)  # a known_at this far ahead of our clock is the caller's clock drift
NOT_FRAUD = "not a fraud dispute"
REFUSED = {"known before the payment"}  # outcomes of a label that can never be placed as it is


class LabelStore(Protocol):
    def record_labels(self, labels: Sequence[tuple[str, str, int]]) -> list[str]: ...

    def scored_at(self, merchant_id: str, transaction_id: str) -> int | None: ...


def record_labels(store: LabelStore, labels: Sequence[Label]) -> list[str]:
    """One outcome per label (redis_store.LABEL_OUTCOMES), in order."""
    return store.record_labels([(label.merchant_id, label.transaction_id, label.known_at_ms) for label in labels])


def _record_one(store: LabelStore, label: Label) -> str:
    outcome = record_labels(store, [label])[0]
    if outcome in REFUSED:
        raise InvalidLabel("known_at", f"{outcome}: {label.transaction_id} known at {label.known_at_ms} ms")
    return outcome


def handle_payment_disputed(envelope: Envelope, store: LabelStore) -> str:
    """A fraud chargeback becomes a label known at the dispute's known_at; other disputes label nothing."""
    dispute: PaymentDisputed = envelope.data
    if dispute.reason not in FRAUD_DISPUTE_REASONS:
        return NOT_FRAUD
    return _record_one(store, Label.of_payment(dispute.merchant_id, dispute.payment_id, dispute.known_at))


def handle_fraud_reported(envelope: Envelope, store: LabelStore) -> str:
    report: FraudReported = envelope.data
    return _record_one(store, Label.of_payment(report.merchant_id, report.payment_id, report.known_at))


def report_fraud(store: LabelStore, publisher, producer: Producer, merchant_id: str, payment_id: str, reason: str,
                 known_at: datetime | None, now: datetime) -> Envelope:
    """Check a merchant's fraud report against what the store scored (UnknownPayment: no such payment of this
    merchant; InvalidLabel: known before the payment or in the future), then publish `fraud.reported`. The same
    report again gets the same report and event id: consumers drop the duplicate. `known_at` omitted means now,
    and a retry without it is the same report (its id does not depend on the moment of the call)."""
    stated = known_at.isoformat() if known_at else "unstated"
    known_at = known_at or now
    if known_at > now + CLOCK_SKEW:
        raise InvalidLabel("known_at", f"{known_at.isoformat()} is in the future")
    scored = store.scored_at(merchant_id, transaction_id(merchant_id, payment_id))
    if scored is None:
        raise UnknownPayment(payment_id)
    if scored >= 0 and known_at.timestamp() * 1000 < scored:
        raise InvalidLabel("known_at", f"{known_at.isoformat()} is before the payment was scored")
    key = f"smartpay/fraud.reported/{merchant_id}/{payment_id}/{reason}/{stated}"
    report = FraudReported(payment_id=payment_id, merchant_id=merchant_id, reason=reason, known_at=known_at,
                           report_id="frp_" + hashlib.blake2b(key.encode(), digest_size=12).hexdigest())
    out = new_envelope(report, producer=producer, correlation_id=payment_id, occurred_at=now,
                       event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, key)))
    publisher.publish(out)
    return out
