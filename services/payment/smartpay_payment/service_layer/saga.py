"""The saga's event handlers: each loads the payment, applies a pure transition, commits it with a
conditional write, and (once a route is recorded) drives the gateway (charging.py). Duplicates and
overtaken events are no-ops; a route that arrives before the fraud result is kept for it (no queue
redelivery). EVENT_HANDLERS is the one map of what the service consumes: the queue consumer, the saga
and the manifest's subscriptions all follow it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from smartpay_payment.domain import charges, model as m, steps
from smartpay_payment.domain.timeline import Cause, timed
from smartpay_payment.domain.vault import VAULT_PREFIX
from smartpay_payment.service_layer import charging, compensation
from smartpay_payment.service_layer.ports import ConcurrencyConflict, Gateway, GatewayLedger
from smartpay_payment.service_layer.retries import NOT_YET_WAITS, on_conflict
from smartpay_payment.service_layer.unit_of_work import AbstractUnitOfWork
from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Envelope

log = logging.getLogger(__name__)
NATIVE_GATEWAY = {"card": "stripe", "amazon_pay": "amazon_pay", "solana_wallet": "solana"}  # of a raw token


class MerchantMismatch(ValueError):
    """An event names another merchant than the payment's: never applied (it goes to the DLQ)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Saga:
    def __init__(self, uow: AbstractUnitOfWork, gateways: dict[str, Gateway], *, max_attempts: int,
                 deadline: timedelta, clock: Callable[[], datetime] = utcnow, fault_injection: bool = False,
                 vault=None, outbox_grace: timedelta = timedelta(0),
                 ledgers: Mapping[str, GatewayLedger] | None = None, sleep: Callable[[float], None] = time.sleep):
        """`fault_injection`: honour `smartpay_fault` directives (charging.FAULT_KEY) in payment metadata (local stack and tests only,
        never on AWS); `vault`: resolves vault ids of sagas started by a payment.requested from elsewhere;
        `outbox_grace`: a handler re-sends another writer's outbox only once it is this old (younger, its
        writer is most likely still publishing it: re-sending then duplicated every such event);
        `ledgers`: what each gateway holds per attempt (the ledger check); `sleep`: between in-process tries."""
        self.uow = uow
        self.gateways = gateways
        self.ledgers = dict(ledgers or {})
        self.max_attempts = max_attempts
        self.deadline = deadline
        self.clock = clock
        self.fault_injection = fault_injection
        self.vault = vault
        self.outbox_grace = outbox_grace
        self.sleep = sleep

    @property
    def store(self) -> AbstractUnitOfWork:
        """The unit of work under its earlier name (tests/e2e, tests/security and bench read `saga.store`)."""
        return self.uow

    # --- plumbing ------------------------------------------------------------------------------
    def load(self, payment_id: str, merchant_id: str) -> m.Payment | None:
        """A fresh read; re-sends another writer's outbox once it is older than `outbox_grace`."""
        stored = self.uow.payments.get(payment_id)
        if stored is None:
            return None
        if stored.payment.merchant_id != merchant_id:
            raise MerchantMismatch(f"event for {payment_id} names merchant {merchant_id}")
        if stored.outbox and (stored.outbox_at is None
                              or self.clock().timestamp() - stored.outbox_at >= self.outbox_grace.total_seconds()):
            self.uow.flush(stored)
        return stored.payment

    def commit(self, transition: m.Transition, cause: Cause | None, **kwargs) -> m.Payment:
        """Commit with the timing of the stages it reached (what caused them, when)."""
        return self.uow.commit(timed(transition, cause), cause.metadata if cause else None, **kwargs)

    def apply(self, data: p.Payload | m.Payment, cause: Cause | None,
              step: Callable[[m.Payment], m.Transition]) -> m.Payment | None:
        """Load, transition, commit, deciding again on a fresh read after a lost race (retries.on_conflict).
        The first try starts from this process's own last commit of the payment when it has one (no read).
        None when the event changed nothing (Stale: a duplicate or an overtaken event)."""
        remembered = self.uow.recent(data.payment_id)
        if remembered is not None and remembered.merchant_id != data.merchant_id:
            remembered = None  # never decide a mismatch on a cached copy: the fresh read raises it

        def read() -> m.Payment:
            payment = self.load(data.payment_id, data.merchant_id)
            if payment is None:
                raise m.NotYet(f"{data.payment_id} is not recorded yet")
            return payment

        try:
            return on_conflict(read, lambda pay: self.commit(step(pay), cause), start=remembered,
                               not_yet_waits=NOT_YET_WAITS, sleep=self.sleep)
        except m.Stale as e:
            log.info("no-op %s for %s: %s", cause.label if cause else "sweep", data.payment_id, e)
            return None

    def handle(self, envelope: Envelope) -> None:
        EVENT_HANDLERS[envelope.event_type](self, envelope.data, Cause(envelope.metadata, self.clock()))

    # --- handlers ------------------------------------------------------------------------------
    def start(self, request: p.PaymentRequested, causation=None, idempotency_key: str | None = None,
              gateway_tokens: dict[str, str] | None = None) -> m.Payment:
        """The API's first write: the record with payment.requested in its outbox, then published."""
        now = self.clock()
        transition = timed(steps.start(request, now, gateway_tokens), Cause(causation, now, source="api"))
        # payment.requested occurred when the record was created: the chat index dates the in-flight payment by it.
        envelopes = self.uow.envelopes(transition.after, transition.events, causation, occurred_at=now)
        if idempotency_key:
            envelopes = [e.model_copy(update={"metadata": e.metadata.model_copy(
                update={"idempotency_key": idempotency_key[:256]})}) for e in envelopes]
        self.uow.payments.save(transition.after, envelopes, expected_version=None, deadline_at=now + self.deadline)
        self.uow.publish(request.payment_id, envelopes)
        return transition.after

    def on_requested(self, data: p.PaymentRequested, cause: Cause) -> None:
        """Own event: the API wrote the record before it published (nothing to read or do); an event from
        elsewhere starts the saga here, once."""
        if cause.metadata.producer.service == self.uow.producer.service:
            return
        if self.load(data.payment_id, data.merchant_id) is not None:
            return
        token = data.payment_method.token
        if token.startswith(VAULT_PREFIX):
            vaulted = self.vault.get(data.merchant_id, token) if self.vault else None
            if vaulted is None:
                raise ValueError(f"{data.payment_id}: vault id unknown to merchant {data.merchant_id}")
            tokens = dict(vaulted.gateway_tokens)
        else:
            tokens = {NATIVE_GATEWAY[data.payment_method.type]: token}
        now = self.clock()
        try:
            self.uow.payments.save(timed(steps.start(data, now, tokens), cause).after, [], expected_version=None,
                                   deadline_at=now + self.deadline)
        except ConcurrencyConflict:
            pass  # the API's write won: same payment

    def on_fraud_assessed(self, data: p.FraudAssessed, cause: Cause) -> None:
        # A route kept from before this result is recorded with it: this delivery then owns its charge.
        claim = charging.new_claim(self.clock())
        payment = self.apply(data, cause, lambda pay: steps.fraud_assessed(pay, data, self.clock(), claim))
        if payment is not None and payment.state == m.State.ROUTED:
            charging.charge_route(self, payment, cause)
        elif payment is None:
            current = self.load(data.payment_id, data.merchant_id)
            if current and current.early_route and current.state in m.CHARGING and current.attempt == 1:
                charging.resume(self, current, cause, owner=claim.owner)  # its charger died mid-charge

    def on_route_selected(self, data: p.RouteSelected, cause: Cause) -> None:
        # The delivery that records the route owns the attempt's charge claim (one conditional write):
        # only it calls the gateway; a concurrent duplicate finds the claim and backs off.
        claim = charging.new_claim(self.clock())
        payment = self.apply(data, cause, lambda pay: steps.route_selected(pay, data, self.clock(), claim))
        if payment is not None and payment.state == m.State.ROUTED:
            charging.charge_route(self, payment, cause)
        elif payment is None:
            # A redelivery of the route we are already charging on (a worker died mid-charge): resume.
            current = self.load(data.payment_id, data.merchant_id)
            if (current and current.state in m.CHARGING and current.attempt == data.attempt
                    and current.gateway == data.gateway):
                charging.resume(self, current, cause, owner=claim.owner)

    def on_route_unavailable(self, data: p.RouteUnavailable, cause: Cause) -> None:
        self.apply(data, cause, lambda pay: steps.saga_failed(pay, code=data.code, reason=data.reason,
                                                          now=self.clock(), attempt=data.attempt))

    def on_indexed(self, data: p.PaymentIndexed, cause: Cause) -> None:
        self.apply(data, cause, lambda pay: steps.indexed(pay, data, self.clock()))

    def fail_saga(self, payment: m.Payment, cause: Cause | None, code: str, reason: str) -> None:
        self.apply(payment, cause, lambda pay: steps.saga_failed(pay, code=code, reason=reason, now=self.clock()))

    # --- the gateway step (charging.py) and compensation (compensation.py), for their other callers --
    def charge_request(self, payment: m.Payment) -> charges.ChargeRequest:
        return charges.charge_request(payment)

    def resume_charge(self, payment: m.Payment, cause: Cause | None, *, late_ok: bool = True) -> None:
        charging.resume(self, payment, cause, late_ok=late_ok)

    def compensate(self, payment: m.Payment, cause: Cause | None, result: charges.ChargeResult,
                   gateway: Gateway) -> None:
        compensation.compensate(self, payment, cause, result, gateway)

    def settle_refund(self, payment: m.Payment, refund: m.Refund, cause: Cause | None) -> m.Payment:
        return compensation.settle_refund(self, payment, refund, cause)


# The one map of what the payment service consumes: the queue consumer subscribes to exactly these
# types (entrypoints/queue_consumer.py), Saga.handle dispatches on it, the manifest lists the same.
EVENT_HANDLERS: dict[str, Callable[[Saga, p.Payload, Cause], None]] = {
    "payment.requested": Saga.on_requested,
    "fraud.assessed": Saga.on_fraud_assessed,
    "route.selected": Saga.on_route_selected,
    "route.unavailable": Saga.on_route_unavailable,
    "payment.indexed": Saga.on_indexed,
}
