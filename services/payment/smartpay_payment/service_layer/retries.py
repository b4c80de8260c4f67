"""The two ways the payment service tries again inside one delivery, instead of handing the record back
to the queue: decide again on a fresh read after losing a race on the payment's record
(`on_conflict`), and call a gateway again after a transient error with a short, bounded backoff
(`with_backoff`). Both are bounded: what is still failing after them fails for real."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from smartpay_payment.domain import model as m
from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.service_layer.ports import ConcurrencyConflict

T = TypeVar("T")
MAX_CONFLICT_RETRIES = 5
# Fresh reads of an event that arrived early (the step it waits for is usually being committed right now
# by a concurrent handler), seconds between them; then NotYet goes up to the caller.
NOT_YET_WAITS = (0.02, 0.05, 0.1)
GATEWAY_WAITS = (0.2, 0.4)  # between tries of a gateway call that failed transiently (3 tries, 0.6 s of waits)


def on_conflict(read: Callable[[], m.Payment], decide: Callable[[m.Payment], T], *,
                start: m.Payment | None = None, not_yet_waits: Sequence[float] = (),
                tries: int = MAX_CONFLICT_RETRIES, sleep: Callable[[float], None] = time.sleep) -> T:
    """`decide(payment)` (a transition and its commit) until it does not lose a race: ConcurrencyConflict
    re-reads and decides again, at most `tries` times. `start` is a copy that may be out of date (this
    process's last commit): anything but a clean decision from it (a conflict, Stale, NotYet) is decided
    again on a fresh read. NotYet on a fresh read is read again after each of `not_yet_waits`, then raised.
    `read` raises NotYet when there is nothing to read yet."""
    payment, waits, conflicts = start, list(not_yet_waits), 0
    while True:
        fresh = payment is None
        if fresh:
            try:
                payment = read()
            except m.NotYet:
                if not waits:
                    raise
                sleep(waits.pop(0))
                continue
        try:
            return decide(payment)
        except ConcurrencyConflict:
            conflicts += 1
            if conflicts >= tries:
                raise ConcurrencyConflict(f"{payment.payment_id}: too many concurrent writers") from None
        except m.NotYet:
            if fresh and not waits:
                raise
            if fresh:
                sleep(waits.pop(0))
        except m.Stale:
            if fresh:
                raise
        payment = None


def with_backoff(call: Callable[[], T], *, waits: Sequence[float] = GATEWAY_WAITS,
                 sleep: Callable[[float], None] = time.sleep) -> T:
    """`call()` again after a retriable GatewayError, once after each of `waits`; the last error (or any
    final one) goes up. Only for calls that are safe to repeat (same reference: never moves money twice)."""
    for wait in (*waits, None):
        try:
            return call()
        except GatewayError as e:
            if not e.retriable or wait is None:
                raise
            sleep(wait)
    raise AssertionError("unreachable")
