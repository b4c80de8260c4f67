"""Fault injection around any connector: timeouts, 5xx, declines and latency, for tests and benchmarks."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from smartpay_payment.domain.charges import ChargeRequest, ChargeResult, GatewayError, MethodDetails, RefundResult
from smartpay_payment.service_layer.ports import Gateway

OUTCOMES = ("5xx", "timeout", "decline")
OPERATIONS = ("authorize", "capture", "refund", "void", "status")


@dataclass
class FaultPlan:
    """Probabilities per call; `script` forces outcomes in order first (e.g. ["timeout", "ok"])."""

    timeout_rate: float = 0.0
    server_error_rate: float = 0.0
    decline_rate: float = 0.0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    operations: frozenset[str] = frozenset({"authorize"})
    script: list[str] = field(default_factory=list)
    seed: int | None = None
    latency_operations: frozenset[str] | None = None  # None: the latency applies to every call

    def __post_init__(self):
        self._rng = random.Random(self.seed)

    def draw(self, operation: str) -> str:
        if operation not in self.operations:
            return "ok"
        if self.script:
            return self.script.pop(0)
        roll = self._rng.random()
        for outcome, rate in (("timeout", self.timeout_rate), ("5xx", self.server_error_rate),
                              ("decline", self.decline_rate)):
            if roll < rate:
                return outcome
            roll -= rate
        return "ok"


class FaultInjectingGateway(Gateway):
    """Fails before the call reaches the provider, so an injected fault never moves money."""

    def __init__(self, inner: Gateway, plan: FaultPlan, sleep=time.sleep):
        self.inner = inner
        self.name = inner.name
        self.plan = plan
        self._sleep = sleep

    def _before(self, operation: str) -> None:
        delay = self.plan.latency_ms + self.plan._rng.random() * self.plan.jitter_ms
        if self.plan.latency_operations is not None and operation not in self.plan.latency_operations:
            delay = 0.0
        if delay:
            self._sleep(delay / 1000)
        outcome = self.plan.draw(operation)
        if outcome == "timeout":
            raise GatewayError("timeout", "injected timeout", retriable=True, gateway=self.name, latency_ms=delay)
        if outcome == "5xx":
            raise GatewayError("gateway_5xx", "injected 503", retriable=True, gateway=self.name, latency_ms=delay)
        if outcome == "decline":
            raise GatewayError("card_declined", "injected decline", retriable=False, declined=True,
                               gateway=self.name, latency_ms=delay)

    def authorize(self, request: ChargeRequest) -> ChargeResult:
        self._before("authorize")
        return self.inner.authorize(request)

    def capture(self, gateway_reference: str, amount: int, reference: str) -> ChargeResult:
        self._before("capture")
        return self.inner.capture(gateway_reference, amount, reference)

    def refund(self, gateway_reference: str, amount: int, reference: str) -> RefundResult:
        self._before("refund")
        return self.inner.refund(gateway_reference, amount, reference)

    def void(self, gateway_reference: str, reference: str) -> ChargeResult:
        self._before("void")
        return self.inner.void(gateway_reference, reference)

    def status(self, request: ChargeRequest) -> ChargeResult | None:
        self._before("status")
        return self.inner.status(request)

    def describe(self, token: str) -> MethodDetails:
        return self.inner.describe(token)


def plan_from_directive(directive: str, gateway: str, attempt: int) -> FaultPlan | None:
    """A per-payment fault directive (LOCAL STACK ONLY: honoured when PAYMENT_FAULT_INJECTION is on), e.g.
    `stripe:5xx` (authorize on Stripe answers 503), `attempt1:timeout`, `stripe.capture:delay3000`
    (3 s before the capture: a window to kill the worker mid-saga). Comma-separated rules; a rule names
    a gateway or `attempt<N>`, optionally `.<operation>` (authorize by default), then an outcome
    (`5xx`, `timeout`, `decline`) or `delay<ms>`. The rules that match this gateway and attempt make
    the plan; None when none does. Raises ValueError on a malformed rule."""
    script: dict[str, str] = {}
    latency: dict[str, float] = {}
    for rule in filter(None, (r.strip() for r in directive.split(","))):
        target, sep, outcome = rule.partition(":")
        name, _, operation = target.partition(".")
        operation = operation or "authorize"
        if not sep or operation not in OPERATIONS or not (outcome in OUTCOMES or (
                outcome.startswith("delay") and outcome[5:].isdigit())):
            raise ValueError(f"bad fault rule {rule!r}")
        if name not in (gateway, f"attempt{attempt}"):
            continue
        if outcome.startswith("delay"):
            latency[operation] = float(outcome[5:])
        else:
            script[operation] = outcome
    if not script and not latency:
        return None
    if len(set(latency.values())) > 1:
        raise ValueError("one delay per payment directive")
    return _ScriptedPlan(outcomes=script, latency_ms=next(iter(latency.values()), 0.0),
                         latency_operations=frozenset(latency), operations=frozenset(script))


@dataclass
class _ScriptedPlan(FaultPlan):
    """A fixed outcome per operation (every call of it), for directives."""

    outcomes: dict[str, str] = field(default_factory=dict)

    def draw(self, operation: str) -> str:
        return self.outcomes.get(operation, "ok")
