"""The API's use cases: take a payment (idempotent), read one, refund one; always scoped to the
caller's merchant (another merchant's payment does not exist for it)."""

from __future__ import annotations

import logging

from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.adapters.idempotency import DynamoIdempotencyStore, body_hash
from datetime import datetime

from smartpay_payment.domain import disputes, model as m, refunds
from smartpay_payment.domain.timeline import Cause, Stage, stages
from smartpay_payment.service_layer.ports import ConcurrencyConflict, PaymentRepository
from smartpay_payment.service_layer.retries import on_conflict
from smartpay_payment.service_layer.saga import Saga
from smartpay_payment.service_layer.vault import VaultService
from smartpay_shared import ids
from smartpay_shared.events import payloads as p
from smartpay_shared.runtime.publisher import PublishError

log = logging.getLogger(__name__)


class PaymentNotFound(LookupError):
    pass


class RefundFailed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def new_payment_id() -> str:
    return ids.new_id("pay_")


def view(payment: m.Payment) -> dict:
    """What GET /payments/{id} shows: never a card number (a token and last4 at most)."""
    return {
        "payment_id": payment.payment_id, "status": payment.state.value.lower(), "version": payment.version,
        "amount": payment.amount, "currency": payment.currency,
        "payment_method": {"type": payment.payment_method.type, "last4": payment.payment_method.last4,
                           "brand": payment.payment_method.brand},
        "customer_id": payment.customer_id, "gateway": payment.gateway, "attempt": payment.attempt,
        "attempts": [a.model_dump(mode="json") for a in payment.attempts],
        "captured_amount": payment.captured_amount, "refunded_amount": payment.refunded_amount,
        "refundable_amount": max(payment.refundable_amount, 0) if payment.state in m.REFUNDABLE else 0,
        "refunds": [r.model_dump(mode="json", exclude={"gateway_reference"}) for r in payment.refunds],
        "disputed_amount": payment.disputed_amount,
        "disputes": [dispute_view(d) for d in payment.disputes],
        "fraud": {"score": payment.fraud_score, "decision": payment.fraud_decision},
        "decline_code": payment.decline_code, "decline_reason": payment.decline_reason,
        "created_at": payment.created_at.isoformat(),
        "completed_at": payment.completed_at.isoformat() if payment.completed_at else None,
        "timeline": [t.model_dump(mode="json") for t in payment.timeline],
    }


def dispute_view(dispute: m.Dispute) -> dict:
    return {"dispute_id": dispute.dispute_id, "amount": dispute.amount, "reason": dispute.reason,
            "known_at": dispute.known_at.isoformat(), "recorded_at": dispute.recorded_at.isoformat()}


def payment_timeline(payments: PaymentRepository, payment_id: str, merchant_id: str | None = None) -> list[Stage]:
    """Where the payment's time went (`smartpay payment timeline`); scoped to `merchant_id` when given."""
    stored = payments.get(payment_id, merchant_id)
    if stored is None:
        raise PaymentNotFound(payment_id)
    return stages(stored.payment)


class PaymentService:
    def __init__(self, saga: Saga, idempotency: DynamoIdempotencyStore, vault: VaultService):
        self.saga = saga
        self.idempotency = idempotency
        self.vault = vault

    def pay(self, merchant_id: str, body: dict, key: str) -> tuple[int, dict]:
        """202 and the payment; the same key and body again -> the same answer and no second payment.
        The method is a raw gateway token or a vault id (UnknownMethod when this merchant has none).

        The answer is a function of the payment record alone (its id, amount, currency, creation time; the
        status is always `requested`), so it is not written back to the key's record: a request with a key
        seen before rebuilds it from the payment (an older record holding an answer is answered from it).
        A key this request claimed has no payment yet, so nothing is read before the saga's first write."""
        method, gateway_tokens = self.vault.resolve(merchant_id, body["payment_method"])
        record = self.idempotency.claim(merchant_id, key, body_hash(body), new_payment_id())
        if record.response is not None:
            return record.response["status_code"], record.response["body"]
        stored = None if record.claimed else self.saga.uow.payments.get(record.payment_id, merchant_id)
        if stored is None:  # first time, or the first request died between the claim and the write
            request = p.PaymentRequested(payment_id=record.payment_id, merchant_id=merchant_id,
                                         **{**body, "payment_method": method})
            try:
                payment = self.saga.start(request, idempotency_key=key, gateway_tokens=gateway_tokens)
            except ConcurrencyConflict:
                payment = self.saga.uow.payments.get(record.payment_id, merchant_id).payment
            except PublishError:
                # Written with payment.requested in its outbox: the sweeper publishes it.
                payment = self.saga.uow.payments.get(record.payment_id, merchant_id).payment
        else:
            payment = stored.payment
        return 202, {"payment_id": payment.payment_id, "status": "requested", "amount": payment.amount,
                     "currency": payment.currency, "created_at": payment.created_at.isoformat()}

    def _payment(self, merchant_id: str, payment_id: str) -> m.Payment:
        stored = self.saga.uow.payments.get(payment_id, merchant_id)
        if stored is None:
            raise PaymentNotFound(payment_id)
        return stored.payment

    def get(self, merchant_id: str, payment_id: str) -> dict:
        return view(self._payment(merchant_id, payment_id))

    def refund(self, merchant_id: str, payment_id: str, amount: int | None, reason: str,
               key: str | None = None) -> tuple[int, dict]:
        self._payment(merchant_id, payment_id)
        if key:
            record = self.idempotency.claim(merchant_id, f"refund:{payment_id}:{key}",
                                            body_hash({"amount": amount, "reason": reason}), payment_id)
            if record.response is not None:
                return record.response["status_code"], record.response["body"]
        cause = Cause(None, self.saga.clock(), source="api")

        def reserve(current: m.Payment) -> tuple[m.Payment, m.Refund]:
            transition, refund = refunds.refund_reserved(current, amount, reason, self.saga.clock())
            return self.saga.commit(transition, cause), refund

        payment, refund = on_conflict(lambda: self._payment(merchant_id, payment_id), reserve)
        try:
            payment = self.saga.settle_refund(payment, refund, cause)
        except GatewayError as e:  # retriable: kept pending, the sweeper retries it with the same reference
            status_code, body = 202, {"payment_id": payment_id, "refund": refund.number, "status": "pending",
                                      "amount": refund.amount, "detail": e.code}
        else:
            settled = next(r for r in payment.refunds if r.number == refund.number) \
                if any(r.number == refund.number for r in payment.refunds) else None
            if settled is None or settled.status == "refused":
                raise RefundFailed("refund_refused", f"the gateway refused the refund of {refund.amount}")
            status_code, body = 200, {"payment_id": payment_id, "refund": settled.number, "status": "succeeded",
                                      "refund_id": settled.refund_id, "amount": settled.amount,
                                      "payment": view(payment)}
        if key:
            self.idempotency.complete(merchant_id, f"refund:{payment_id}:{key}",
                                      {"status_code": status_code, "body": body})
        return status_code, body

    def dispute(self, merchant_id: str, payment_id: str, amount: int | None, reason: str,
                known_at: datetime | None) -> tuple[int, dict]:
        """Record the payment's chargeback: 201 and the dispute; the same request again -> 200 and the same
        dispute, nothing published twice (the payment holds one dispute; a different one is DisputeRefused with
        conflict). `known_at` defaults to now. Another merchant's payment is PaymentNotFound."""
        now = self.saga.clock()
        dispute_id = ids.new_id("dsp_")

        def record(current: m.Payment) -> tuple[m.Payment, bool]:
            if current.disputes and disputes.same(current.disputes[0], amount, reason, known_at):
                return current, False
            transition = disputes.dispute_recorded(current, dispute_id, amount, reason, known_at or now, now)
            return self.saga.commit(transition, Cause(None, now, source="api")), True

        try:
            payment, created = on_conflict(lambda: self._payment(merchant_id, payment_id), record)
        except PublishError:  # written with payment.disputed in its outbox: the sweeper publishes it
            payment, created = self._payment(merchant_id, payment_id), True
        return (201 if created else 200), {"payment_id": payment_id, **dispute_view(payment.disputes[0]),
                                           "currency": payment.currency,
                                           "refundable_amount": max(payment.refundable_amount, 0)}
