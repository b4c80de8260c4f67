"""The saga's event handlers: each loads the payment, applies a pure transition, commits it with a
conditional write, and (for route.selected) drives the gateway. Duplicates and overtaken events are
no-ops; an event that arrived early fails its record so the queue redelivers it."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from smartpay_payment.adapters.gateways.base import ChargeRequest, ChargeResult, Gateway, GatewayError
from smartpay_payment.adapters.gateways.faults import FaultInjectingGateway, plan_from_directive
from smartpay_payment.adapters.repository import ConcurrencyConflict
from smartpay_payment.domain import model as m
from smartpay_payment.domain.vault import VAULT_PREFIX
from smartpay_payment.service_layer.unit_of_work import PaymentStore
from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Envelope, Metadata

log = logging.getLogger(__name__)
MAX_CONFLICT_RETRIES = 5
STATUS_READS = 3  # reads of an unknown outcome before the attempt counts as failed
NATIVE_GATEWAY = {"card": "stripe", "amazon_pay": "amazon_pay", "solana_wallet": "solana"}  # of a raw token
NOT_YET_WAITS = (0.02, 0.05, 0.1)  # seconds between fresh reads before an early event goes back to the queue
# How long a charge claim holds: longer than one gateway call with its status reads (timeouts of a few
# seconds each), so a live charger never loses it; a dead one's attempt is taken over after it.
CHARGE_LEASE = timedelta(seconds=30)
FAULT_KEY = "smartpay_fault"  # payment metadata naming injected gateway faults (PAYMENT_FAULT_INJECTION only)


class MerchantMismatch(ValueError):
    """An event names another merchant than the payment's: never applied (it goes to the DLQ)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Saga:
    def __init__(self, store: PaymentStore, gateways: dict[str, Gateway], *, max_attempts: int,
                 deadline: timedelta, clock: Callable[[], datetime] = utcnow, fault_injection: bool = False,
                 vault=None, outbox_grace: timedelta = timedelta(0)):
        """`fault_injection`: honour FAULT_KEY directives in payment metadata (local stack and tests only,
        never on AWS); `vault`: resolves vault ids of sagas started by a payment.requested from elsewhere;
        `outbox_grace`: a handler re-sends another writer's outbox only once it is this old (younger, its
        writer is most likely still publishing it: re-sending then duplicated every such event)."""
        self.fault_injection = fault_injection
        self.outbox_grace = outbox_grace
        self.vault = vault
        self.store = store
        self.gateways = gateways
        self.max_attempts = max_attempts
        self.deadline = deadline
        self.clock = clock

    # --- plumbing ------------------------------------------------------------------------------
    def _load(self, payment_id: str, merchant_id: str):
        stored = self.store.repo.get(payment_id)
        if stored is None:
            return None
        if stored.payment.merchant_id != merchant_id:
            raise MerchantMismatch(f"event for {payment_id} names merchant {merchant_id}")
        if stored.outbox and (stored.outbox_at is None
                              or self.clock().timestamp() - stored.outbox_at >= self.outbox_grace.total_seconds()):
            self.store.flush(stored)
        return stored.payment

    def _apply(self, data: p.Payload, meta: Metadata, step: Callable[[m.Payment], m.Transition]) -> m.Payment | None:
        """Load, transition, commit; re-read on a lost race. None when the event changed nothing.
        The first try starts from this process's own last commit of the payment when it has one (no
        read); anything but a clean commit from it (a conflict, NotYet, Stale) is decided again on a
        fresh read. NotYet on a fresh read is retried briefly: the step it waits for is usually being
        committed right now by a concurrent handler (route.selected racing its fraud.assessed)."""
        payment = self.store.recent(data.payment_id)
        if payment is not None and payment.merchant_id != data.merchant_id:
            payment = None  # never decide a mismatch on a cached copy: the fresh read raises it
        waits = list(NOT_YET_WAITS)
        for _ in range(MAX_CONFLICT_RETRIES + len(NOT_YET_WAITS) + 1):
            cached, payment = payment is not None, payment or self._load(data.payment_id, data.merchant_id)
            try:
                if payment is None:
                    raise m.NotYet(f"{data.payment_id} is not recorded yet")
                transition = step(payment)
            except m.NotYet:
                if not cached and not waits:
                    raise
                if not cached:
                    time.sleep(waits.pop(0))
                payment = None
                continue
            except m.Stale as e:
                if cached:
                    payment = None
                    continue
                log.info("no-op %s for %s: %s", getattr(meta, "event_type", "sweep"), data.payment_id, e)
                return None
            try:
                return self.store.commit(transition, meta)
            except ConcurrencyConflict:
                payment = None
                continue
        raise ConcurrencyConflict(f"{data.payment_id}: too many concurrent writers")

    def handle(self, envelope: Envelope) -> None:
        handler = {"payment.requested": self.on_requested, "fraud.assessed": self.on_fraud_assessed,
                   "route.selected": self.on_route_selected, "route.unavailable": self.on_route_unavailable,
                   "payment.indexed": self.on_indexed}[envelope.event_type]
        handler(envelope.data, envelope.metadata)

    # --- handlers ------------------------------------------------------------------------------
    def start(self, request: p.PaymentRequested, causation: Metadata | None = None,
              idempotency_key: str | None = None, gateway_tokens: dict[str, str] | None = None) -> m.Payment:
        now = self.clock()
        transition = m.start(request, now, gateway_tokens)
        envelopes = self.store.envelopes(transition.after, transition.events, causation)
        if idempotency_key:
            envelopes = [e.model_copy(update={"metadata": e.metadata.model_copy(
                update={"idempotency_key": idempotency_key[:256]})}) for e in envelopes]
        self.store.repo.save(transition.after, envelopes, expected_version=None, deadline_at=now + self.deadline)
        self.store.publish(request.payment_id, envelopes)
        return transition.after

    def on_requested(self, data: p.PaymentRequested, meta: Metadata) -> None:
        """Own event: the API wrote the record before it published (nothing to read or do); an event from
        elsewhere starts the saga here, once."""
        if meta.producer.service == self.store.producer.service:
            return
        if self._load(data.payment_id, data.merchant_id) is not None:
            return
        token = data.payment_method.token
        if token.startswith(VAULT_PREFIX):
            vaulted = self.vault.get(data.merchant_id, token) if self.vault else None
            if vaulted is None:
                raise ValueError(f"{data.payment_id}: vault id unknown to merchant {data.merchant_id}")
            tokens = dict(vaulted.gateway_tokens)
        else:
            tokens = {NATIVE_GATEWAY[data.payment_method.type]: token}
        try:
            self.store.repo.save(m.start(data, self.clock(), tokens).after, [], expected_version=None,
                                 deadline_at=self.clock() + self.deadline)
        except ConcurrencyConflict:
            pass  # the API's write won: same payment

    def on_fraud_assessed(self, data: p.FraudAssessed, meta: Metadata) -> None:
        self._apply(data, meta, lambda pay: m.fraud_assessed(pay, data, self.clock()))

    def on_route_unavailable(self, data: p.RouteUnavailable, meta: Metadata) -> None:
        self._apply(data, meta, lambda pay: m.saga_failed(pay, code=data.code, reason=data.reason,
                                                          now=self.clock(), attempt=data.attempt))

    def on_indexed(self, data: p.PaymentIndexed, meta: Metadata) -> None:
        self._apply(data, meta, lambda pay: m.indexed(pay, data, self.clock()))

    def on_route_selected(self, data: p.RouteSelected, meta: Metadata) -> None:
        # The delivery that records the route owns the attempt's charge claim (one conditional write):
        # only it calls the gateway; a concurrent duplicate finds the claim and backs off.
        claimant = uuid.uuid4().hex
        payment = self._apply(data, meta, lambda pay: m.route_selected(
            pay, data, self.clock(), m.ChargeClaim(owner=claimant, until=self.clock() + CHARGE_LEASE)))
        if payment is not None and (data.gateway not in self.gateways or payment.token_for(data.gateway) is None):
            # Routing chose a gateway this deployment has no connector for, or one the payment method has
            # no token on (a raw token of another gateway, a card vaulted without it): nothing is called,
            # the attempt is lost, try the next.
            code, reason = (("gateway_disabled", f"{data.gateway} is not enabled here") if data.gateway not in
                            self.gateways else ("method_not_on_gateway", f"no token of the method on {data.gateway}"))
            self._apply(payment, meta, lambda pay: m.attempt_failed(
                pay, code=code, reason=reason, retriable=True, declined=False, latency_ms=None,
                max_attempts=self.max_attempts, all_gateways=set(self.gateways) | {data.gateway}, now=self.clock(),
                attempted=False))
            return
        if payment is None:
            # A redelivery of the route we are already charging on (a worker died mid-charge): resume.
            current = self._load(data.payment_id, data.merchant_id)
            if (current and current.state in m.CHARGING and current.attempt == data.attempt
                    and current.gateway == data.gateway):
                self.resume_charge(current, meta, owner=claimant)
            return
        self.charge(payment, meta, resume=False)

    def resume_charge(self, payment: m.Payment, meta: Metadata | None, *, owner: str | None = None,
                      late_ok: bool = True) -> None:
        """Charge an attempt someone else started (a redelivery, the sweeper): claim it first by a
        conditional write. A live claim of another delivery, or losing the write to any other writer,
        raises ChargeClaimed (NotYet): back off, the queue redelivers and this decides again on a fresh
        read. Only a claim past its lease (its worker died) is taken over, and then the gateway's own
        record is read before any call (resume), so money that moved is never moved twice."""
        owner = owner or uuid.uuid4().hex
        try:
            claimed = self.store.commit(m.claim_charge(payment, owner, self.clock(), CHARGE_LEASE), meta)
        except ConcurrencyConflict:
            raise m.ChargeClaimed(f"{payment.payment_id}: another writer moved attempt {payment.attempt} "
                                  "while this delivery claimed it") from None
        self.charge(claimed, meta, resume=True, late_ok=late_ok)

    # --- the gateway step ----------------------------------------------------------------------
    def charge_request(self, payment: m.Payment) -> ChargeRequest:
        """The request of the payment's current attempt, with the method's token on that attempt's gateway."""
        token = payment.token_for(payment.attempt_gateway()) or payment.payment_method.token
        return ChargeRequest(reference=payment.reference(), amount=payment.amount, currency=payment.currency,
                             method_token=token, customer_id=payment.customer_id, merchant_id=payment.merchant_id)

    def gateway_for(self, payment: m.Payment) -> Gateway:
        """The connector of the current attempt, wrapped in the payment's injected faults if any."""
        gateway = self.gateways[payment.gateway]
        directive = payment.metadata.get(FAULT_KEY) if self.fault_injection else None
        plan = plan_from_directive(directive, payment.gateway, payment.attempt) if directive else None
        return FaultInjectingGateway(gateway, plan) if plan else gateway

    def charge(self, payment: m.Payment, meta: Metadata | None, *, resume: bool, late_ok: bool = True) -> None:
        """Authorize then capture the current attempt. On a resume (redelivery, sweeper) the gateway's
        own record is read first, so an attempt that already moved money is never charged again."""
        try:
            self._charge(payment, meta, resume=resume, late_ok=late_ok)
        except Exception:  # alive, no outcome (the queue retries): the claim goes now, not at its lease end
            self._release_claim(payment, meta)
            raise
        finally:
            try:  # payment.authorized waits for the capture's commit; anything left goes out now
                self.store.flush_deferred(payment.payment_id)
            except Exception:  # never mask the charge's own outcome: the events are safe in the outbox
                log.warning("deferred events of %s stay in its outbox for the sweeper", payment.payment_id,
                            exc_info=True)

    def _release_claim(self, payment: m.Payment, meta: Metadata | None) -> None:
        owner = payment.charge_claim.owner if payment.charge_claim else None
        if owner is None:
            return
        try:
            current = self._load(payment.payment_id, payment.merchant_id)
            if current is not None:
                self.store.commit(m.release_charge(current, owner, self.clock()), meta)
        except (ConcurrencyConflict, m.Stale):
            pass  # moved on meanwhile: nothing of ours left to release
        except Exception:  # never mask the charge's own error; the lease ends the claim anyway
            log.warning("could not release the charge claim of %s", payment.payment_id, exc_info=True)

    def _charge(self, payment: m.Payment, meta: Metadata | None, *, resume: bool, late_ok: bool) -> None:
        gateway = self.gateway_for(payment)
        request = self.charge_request(payment)
        found = gateway.status(request) if resume else None  # unknown state raises: the queue retries
        try:
            if payment.state == m.State.ROUTED:
                if found is None and not late_ok:
                    self.fail_saga(payment, meta, "saga_timeout", "deadline passed before the gateway charged")
                    return
                result = found if found and found.status in ("authorized", "captured") else \
                    self._authorize(gateway, request)
                payment = self._after_money(payment, meta, result, "authorized", gateway)
                if payment is None:
                    return
                found = result
            if found is None or found.status != "captured":
                found = gateway.capture(payment.gateway_reference, payment.amount, request.reference)
            self._after_money(payment, meta, found, "captured", gateway)
        except GatewayError as e:
            self._gateway_failed(payment, meta, gateway, request, e)

    @staticmethod
    def _authorize(gateway: Gateway, request: ChargeRequest) -> ChargeResult:
        """A retriable failure (timeout, 5xx: possibly after the provider took the authorization, e.g. an
        Amazon Pay session completed but the charge read answered 503) is an unknown outcome: the
        gateway's record is read (STATUS_READS tries) before calling it a failure. If every read fails
        too, the attempt fails (rerouted); a hold it left is an orphan charge for `reconcile --fix`."""
        try:
            return gateway.authorize(request)
        except GatewayError as e:
            if not e.retriable:
                raise
            for read in range(1, STATUS_READS + 1):
                try:
                    found = gateway.status(request)
                    break
                except GatewayError:
                    if read == STATUS_READS:
                        raise e from None
                    time.sleep(0.2 * read)
            if found and found.status in ("authorized", "captured"):
                return found
            raise

    def _after_money(self, payment: m.Payment, meta, result: ChargeResult, kind: str,
                     gateway: Gateway) -> m.Payment | None:
        """Commit a gateway success; if the saga moved on meanwhile, the money is compensated."""
        attempt, now = payment.attempt, self.clock()
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                step = (m.authorized(payment, result.gateway_reference, result.latency_ms, now) if kind == "authorized"
                        else m.captured(payment, result.latency_ms, now))
                return self.store.commit(step, meta, defer=kind == "authorized")
            except (ConcurrencyConflict, m.Stale):
                payment = self._load(payment.payment_id, payment.merchant_id)
            same = payment.attempt == attempt and payment.gateway == gateway.name
            if same and payment.state == m.State.ROUTED:
                continue
            if same and payment.state == m.State.AUTHORIZED:
                if kind == "captured":
                    continue
                if payment.gateway_reference == result.gateway_reference:
                    return payment  # a concurrent redelivery recorded this authorization
            if same and payment.captured_amount and payment.gateway_reference == result.gateway_reference:
                return None  # the same charge, already recorded
            self.compensate(payment, meta, result, gateway)
            return None
        raise ConcurrencyConflict(f"{payment.payment_id}: too many concurrent writers")

    def compensate(self, payment: m.Payment, meta, result: ChargeResult, gateway: Gateway) -> None:
        """Money moved for an attempt the saga left behind: void an authorization, refund a capture."""
        if result.status == "authorized":
            try:
                gateway.void(result.gateway_reference, f"{payment.payment_id}-void")
                log.warning("voided orphan authorization %s of %s", result.gateway_reference, payment.payment_id)
                return
            except GatewayError:
                pass  # cannot void (captured meanwhile, or a final transfer): refund below
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                transition, refund = m.late_capture_found(payment, gateway.name, result.gateway_reference,
                                                          result.amount, self.clock())
            except m.Stale:
                return
            try:
                payment = self.store.commit(transition, meta)
                break
            except ConcurrencyConflict:
                payment = self._load(payment.payment_id, payment.merchant_id)
        else:
            raise ConcurrencyConflict(payment.payment_id)
        log.warning("compensating a late charge %s of %s", result.gateway_reference, payment.payment_id)
        self.settle_refund(payment, refund, meta)

    def settle_refund(self, payment: m.Payment, refund: m.Refund, meta) -> m.Payment:
        """Call the gateway for a reserved refund and record the outcome; a retriable failure keeps it
        pending (the sweeper retries it under the same reference: never refunded twice)."""
        gateway = self.gateways[refund.gateway or payment.gateway]
        reference = f"{payment.payment_id}-r{refund.number}"
        try:
            done = gateway.refund(refund.gateway_reference or payment.gateway_reference, refund.amount, reference)
            refund_id: str | None = done.refund_id
        except GatewayError as e:
            if e.retriable:
                log.warning("refund %s of %s pending: %s", refund.number, payment.payment_id, e)
                raise
            refund_id = None
        for _ in range(MAX_CONFLICT_RETRIES):
            try:
                return self.store.commit(m.refund_settled(payment, refund.number, refund_id, self.clock()), meta)
            except ConcurrencyConflict:
                payment = self._load(payment.payment_id, payment.merchant_id)
            except m.Stale:
                return payment
        raise ConcurrencyConflict(payment.payment_id)

    def _gateway_failed(self, payment: m.Payment, meta, gateway: Gateway, request: ChargeRequest,
                        error: GatewayError) -> None:
        latest = self._load(payment.payment_id, payment.merchant_id)
        if latest.state == m.State.AUTHORIZED and latest.attempt == payment.attempt:
            if error.retriable:
                raise error  # keep the authorization: the redelivered event captures again
            try:
                gateway.void(latest.gateway_reference, request.reference)
            except GatewayError:
                log.warning("could not void %s after a failed capture", latest.gateway_reference)
        self._apply(latest, meta, lambda pay: m.attempt_failed(
            pay, code=error.code, reason=error.message, retriable=error.retriable, declined=error.declined,
            latency_ms=error.latency_ms, max_attempts=self.max_attempts, all_gateways=set(self.gateways),
            now=self.clock()) if pay.attempt == payment.attempt else _stale(pay))

    def fail_saga(self, payment: m.Payment, meta, code: str, reason: str) -> None:
        self._apply(payment, meta, lambda pay: m.saga_failed(pay, code=code, reason=reason, now=self.clock()))


def _stale(payment: m.Payment) -> m.Transition:
    raise m.Stale(f"attempt moved on ({payment.attempt})")
