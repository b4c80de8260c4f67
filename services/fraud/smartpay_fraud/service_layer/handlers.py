"""Use cases behind the entrypoints: assess a requested payment and publish fraud.assessed."""

from __future__ import annotations

import uuid
from datetime import datetime

from smartpay_shared.events import Envelope, Producer, new_envelope
from smartpay_shared.events.payloads import FraudAssessed, FraudReason, PaymentContext, PaymentRequested

from smartpay_fraud.domain.decision import Assessment
from smartpay_fraud.domain.errors import InvalidTransaction
from smartpay_fraud.domain.labels import transaction_id
from smartpay_fraud.domain.transactions import Transaction, validate
from smartpay_fraud.service_layer.scoring import ScoringService


def to_transaction(payment: PaymentRequested, at: datetime) -> Transaction:
    return Transaction(
        # Namespaced by merchant: one tenant cannot mark another tenant's payment id as seen.
        transaction_id=transaction_id(payment.merchant_id, payment.payment_id), timestamp_ms=int(at.timestamp() * 1000),
        amount=payment.amount, currency=payment.currency, merchant_id=payment.merchant_id,
        card_id=payment.payment_method.token, customer_id=payment.customer_id, device_id=payment.device_id,
        ip_address=payment.ip_address, country=payment.country, merchant_category=payment.merchant_category)


def fraud_assessed(payment: PaymentRequested, assessment: Assessment) -> FraudAssessed:
    return FraudAssessed(
        payment_id=payment.payment_id, merchant_id=payment.merchant_id, score=assessment.score,
        decision=assessment.decision, model_version=assessment.model_version,
        threshold_version=assessment.threshold_version,
        reasons=[FraudReason(feature=r.feature, contribution=r.contribution, description=r.description)
                 for r in assessment.reasons],
        payment=PaymentContext(amount=payment.amount, currency=payment.currency, method=payment.payment_method.type,
                               country=payment.country, merchant_category=payment.merchant_category,
                               gateways=payment.method_gateways))


def assess_payments(envelopes: list[Envelope], service: ScoringService) -> dict[str, Assessment]:
    """Score a queue batch's payment.requested events in one batch (one feature-store round trip, one model
    call), keyed by event id. Invalid payments are left out: each fails on its own in the record handler
    with its reason, and nothing of it is counted."""
    txns, ids = [], []
    for env in envelopes:
        txn = to_transaction(env.data, env.metadata.occurred_at)
        try:
            validate(txn)
        except InvalidTransaction:
            continue
        txns.append(txn)
        ids.append(env.metadata.event_id)
    return dict(zip(ids, service.score_many(txns), strict=True)) if txns else {}


def handle_payment_requested(envelope: Envelope, service: ScoringService, publisher, producer: Producer,
                             assessment: Assessment | None = None) -> Envelope:
    """`assessment`: the one the batch already computed for this event; otherwise it is scored here."""
    payment: PaymentRequested = envelope.data
    if assessment is None:
        assessment = service.score(to_transaction(payment, envelope.metadata.occurred_at))
    out = new_envelope(
        fraud_assessed(payment, assessment), producer=producer, correlation_id=payment.payment_id,
        causation=envelope.metadata, idempotency_key=f"fraud.assessed:{envelope.metadata.event_id}",
        # Same input event -> same output id: a redelivery publishes a duplicate consumers drop.
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"smartpay/fraud.assessed/{envelope.metadata.event_id}")),
    )
    publisher.publish(out)
    return out
