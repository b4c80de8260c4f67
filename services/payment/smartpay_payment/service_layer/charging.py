"""The gateway step of the saga: claim the attempt, authorize, capture, record each outcome; on a
failure reroute at once (no queue redelivery) whenever no money can be held for the attempt, and keep
the authorization otherwise. Gateway calls that failed transiently are tried again in process with a
short bounded backoff (retries.with_backoff), always under the attempt's own reference."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from smartpay_payment.adapters.gateways.faults import FaultInjectingGateway, plan_from_directive
from smartpay_payment.domain import model as m, steps
from smartpay_payment.domain.charges import ChargeRequest, ChargeResult, GatewayError, charge_request
from smartpay_payment.domain.timeline import Cause
from smartpay_payment.service_layer.ports import ConcurrencyConflict, Gateway
from smartpay_payment.service_layer.retries import on_conflict, with_backoff
from smartpay_shared import ids

if TYPE_CHECKING:
    from smartpay_payment.service_layer.saga import Saga

log = logging.getLogger(__name__)
# How long a charge claim holds: longer than one gateway call with its status reads (timeouts of a few
# seconds each), so a live charger never loses it; a dead one's attempt is taken over after it.
CHARGE_LEASE = timedelta(seconds=30)
FAULT_KEY = "smartpay_fault"  # payment metadata naming injected gateway faults (PAYMENT_FAULT_INJECTION only)


def new_claim(now: datetime) -> m.ChargeClaim:
    return m.ChargeClaim(owner=ids.new_id(), until=now + CHARGE_LEASE)


def gateway_for(saga: Saga, payment: m.Payment) -> Gateway:
    """The connector of the current attempt, wrapped in the payment's injected faults if any."""
    gateway = saga.gateways[payment.gateway]
    directive = payment.metadata.get(FAULT_KEY) if saga.fault_injection else None
    plan = plan_from_directive(directive, payment.gateway, payment.attempt) if directive else None
    return FaultInjectingGateway(gateway, plan) if plan else gateway


def charge_route(saga: Saga, payment: m.Payment, cause: Cause) -> None:
    """Charge the route just recorded (this delivery holds its claim). A gateway this deployment has no
    connector for, or one the method has no token on (a raw token of another gateway, a card vaulted
    without it), is never called: the attempt is lost, try the next."""
    name = payment.gateway
    if name in saga.gateways and payment.token_for(name) is not None:
        charge(saga, payment, cause, resume=False)
        return
    code, reason = (("gateway_disabled", f"{name} is not enabled here") if name not in saga.gateways
                    else ("method_not_on_gateway", f"no token of the method on {name}"))
    saga.apply(payment, cause, lambda pay: steps.attempt_failed(
        pay, code=code, reason=reason, retriable=True, declined=False, latency_ms=None,
        max_attempts=saga.max_attempts, all_gateways=set(saga.gateways) | {name}, now=saga.clock(),
        attempted=False))


def resume(saga: Saga, payment: m.Payment, cause: Cause | None, *, owner: str | None = None,
           late_ok: bool = True) -> None:
    """Charge an attempt someone else started (a redelivery, the sweeper): claim it first by a
    conditional write. A live claim of another delivery, or losing the write to any other writer,
    raises ChargeClaimed (NotYet): back off, the queue redelivers and this decides again on a fresh
    read. Only a claim past its lease (its worker died) is taken over, and then the gateway's own
    record is read before any call (resume), so money that moved is never moved twice."""
    owner = owner or ids.new_id()
    try:
        claimed = saga.commit(steps.claim_charge(payment, owner, saga.clock(), CHARGE_LEASE), cause)
    except ConcurrencyConflict:
        raise m.ChargeClaimed(f"{payment.payment_id}: another writer moved attempt {payment.attempt} "
                              "while this delivery claimed it") from None
    charge(saga, claimed, cause, resume=True, late_ok=late_ok)


def charge(saga: Saga, payment: m.Payment, cause: Cause | None, *, resume: bool, late_ok: bool = True) -> None:
    """Authorize then capture the current attempt. On a resume (redelivery, sweeper) the gateway's
    own record is read first, so an attempt that already moved money is never charged again."""
    try:
        _charge(saga, payment, cause, resume=resume, late_ok=late_ok)
    except Exception:  # alive, no outcome (the queue retries): the claim goes now, not at its lease end
        _release_claim(saga, payment, cause)
        raise
    finally:
        try:  # payment.authorized waits for the capture's commit; anything left goes out now
            saga.uow.flush_deferred(payment.payment_id)
        except Exception:  # never mask the charge's own outcome: the events are safe in the outbox
            log.warning("deferred events of %s stay in its outbox for the sweeper", payment.payment_id,
                        exc_info=True)


def _release_claim(saga: Saga, payment: m.Payment, cause: Cause | None) -> None:
    owner = payment.charge_claim.owner if payment.charge_claim else None
    if owner is None:
        return
    try:
        current = saga.load(payment.payment_id, payment.merchant_id)
        if current is not None:
            saga.commit(steps.release_charge(current, owner, saga.clock()), cause)
    except (ConcurrencyConflict, m.Stale):
        pass  # moved on meanwhile: nothing of ours left to release
    except Exception:  # never mask the charge's own error; the lease ends the claim anyway
        log.warning("could not release the charge claim of %s", payment.payment_id, exc_info=True)


def _charge(saga: Saga, payment: m.Payment, cause: Cause | None, *, resume: bool, late_ok: bool) -> None:
    gateway = gateway_for(saga, payment)
    request = charge_request(payment)
    # Unknown state on a resume: read (briefly retried); still unreadable, the queue retries it later.
    found = with_backoff(lambda: gateway.status(request), sleep=saga.sleep) if resume else None
    try:
        if payment.state == m.State.ROUTED:
            if found is None and not late_ok:
                saga.fail_saga(payment, cause, "saga_timeout", "deadline passed before the gateway charged")
                return
            authorization = found if found and found.holds_money else _authorize(saga, gateway, request)
            _authorized_then_captured(saga, gateway, payment, cause, request, authorization)
            return
        if found is None or found.status != "captured":
            found = _capture(saga, gateway, payment, request)
        _after_money(saga, payment, cause, found, "captured", gateway)
    except GatewayError as e:
        _gateway_failed(saga, payment, cause, gateway, request, e)


def _authorized_then_captured(saga: Saga, gateway: Gateway, payment: m.Payment, cause: Cause | None,
                              request: ChargeRequest, authorization: ChargeResult) -> None:
    """Capture the authorization this delivery holds the claim for, then record both in one conditional write
    (the happy path's one write instead of two: the live claim, not an AUTHORIZED record, is what keeps every
    other delivery and the sweeper off this attempt meanwhile, and a redelivery after a crash reads the gateway's
    own record first). An authorization that came back after the claim's lease records itself first, as before.
    A failed capture records the authorization first (money is held: the failure path voids it, or keeps it
    for the queue's retry of the capture, from an AUTHORIZED record as before)."""
    authorized_at = saga.clock()
    claim = payment.charge_claim
    if authorization.status != "captured" and (claim is None or authorized_at >= claim.until):
        # The call outlived the claim: another delivery or the sweeper may have moved the saga meanwhile, so
        # the authorization is recorded (or compensated: voided, never captured) before any capture.
        payment = _after_money(saga, payment, cause, authorization, "authorized", gateway)
        if payment is not None:
            _after_money(saga, payment, cause, _capture(saga, gateway, payment, request), "captured", gateway)
        return
    if authorization.status == "captured":
        capture = authorization  # a resume found the attempt captured already
    else:
        try:
            capture = _capture(saga, gateway, payment.model_copy(
                update={"gateway_reference": authorization.gateway_reference}), request)
        except GatewayError:
            if _after_money(saga, payment, cause, authorization, "authorized", gateway) is None:
                return  # the saga moved on: the authorization was compensated
            raise
    _after_money(saga, payment, cause, capture, "captured", gateway,
                 authorization=(authorization, authorized_at))


def _authorize(saga: Saga, gateway: Gateway, request: ChargeRequest) -> ChargeResult:
    """A retriable failure (timeout, 5xx: possibly after the provider took the authorization, e.g. an
    Amazon Pay session completed but the charge read answered 503) is an unknown outcome: the
    gateway's record is read (briefly retried) before calling it a failure. If every read fails too,
    the attempt fails (rerouted); a hold it left is an orphan charge for `reconcile --fix`."""
    try:
        return gateway.authorize(request)
    except GatewayError as e:
        if not e.retriable:
            raise
        try:
            found = with_backoff(lambda: gateway.status(request), sleep=saga.sleep)
        except GatewayError:
            raise e from None
        if found and found.holds_money:
            return found
        raise


def _capture(saga: Saga, gateway: Gateway, payment: m.Payment, request: ChargeRequest) -> ChargeResult:
    """Capture, tried again in process after a transient failure; a failure may hide a capture that
    happened (its answer lost), so the gateway's record is read before each new try."""
    def attempt() -> ChargeResult:
        try:
            return gateway.capture(payment.gateway_reference, payment.amount, request.reference)
        except GatewayError as e:
            if not e.retriable:
                raise
            found = gateway.status(request)
            if found is not None and found.status == "captured":
                return found
            raise e from None
    return with_backoff(attempt, sleep=saga.sleep)


def _after_money(saga: Saga, payment: m.Payment, cause: Cause | None, result: ChargeResult, kind: str,
                 gateway: Gateway, authorization: tuple[ChargeResult, datetime] | None = None) -> m.Payment | None:
    """Commit a gateway success; if the saga moved on meanwhile, the money is compensated. `authorization`
    (with a capture): the authorization result and when it came, for a record still ROUTED (both stages are
    then recorded in one write)."""
    attempt, now = payment.attempt, saga.clock()

    def step(current: m.Payment) -> m.Transition:
        if kind == "authorized":
            return steps.authorized(current, result.gateway_reference, result.latency_ms, now)
        if current.state == m.State.ROUTED:
            auth, authorized_at = authorization
            return steps.authorized_and_captured(current, auth.gateway_reference, auth.latency_ms, authorized_at,
                                                 result.latency_ms, now)
        return steps.captured(current, result.latency_ms, now)

    def record(current: m.Payment) -> m.Payment | None:
        same = current.attempt == attempt and current.gateway == gateway.name
        if same and (current.state == m.State.AUTHORIZED and kind == "captured"
                     or current.state == m.State.ROUTED and (kind == "authorized" or authorization is not None)):
            try:
                transition = step(current)
            except m.Stale:
                raise ConcurrencyConflict(current.payment_id) from None  # decide again on a fresh read
            return saga.commit(transition, cause, defer=kind == "authorized")
        if same and current.state == m.State.AUTHORIZED and current.gateway_reference == result.gateway_reference:
            return current  # a concurrent redelivery recorded this authorization
        if same and current.captured_amount and current.gateway_reference == result.gateway_reference:
            return None  # the same charge, already recorded
        saga.compensate(current, cause, result, gateway)
        return None

    return on_conflict(lambda: saga.load(payment.payment_id, payment.merchant_id), record, start=payment,
                       sleep=saga.sleep)


def _gateway_failed(saga: Saga, payment: m.Payment, cause: Cause | None, gateway: Gateway,
                    request: ChargeRequest, error: GatewayError) -> None:
    """Record the failed attempt, which reroutes a retriable one at once. After a failed capture the
    authorization is voided first; a retriable failure whose hold cannot be voided (money may be held:
    a Solana transfer, a capture whose answer was lost) keeps it, and the queue retries the capture."""
    latest = saga.load(payment.payment_id, payment.merchant_id)
    if latest.state == m.State.AUTHORIZED and latest.attempt == payment.attempt:
        try:
            with_backoff(lambda: gateway.void(latest.gateway_reference, request.reference), sleep=saga.sleep)
        except GatewayError:
            if error.retriable:
                raise error from None
            log.warning("could not void %s after a failed capture", latest.gateway_reference)
    saga.apply(latest, cause, lambda pay: steps.attempt_failed(
        pay, code=error.code, reason=error.message, retriable=error.retriable, declined=error.declined,
        latency_ms=error.latency_ms, max_attempts=saga.max_attempts, all_gateways=set(saga.gateways),
        now=saga.clock()) if pay.attempt == payment.attempt else _stale(pay))


def _stale(payment: m.Payment) -> m.Transition:
    raise m.Stale(f"attempt moved on ({payment.attempt})")
