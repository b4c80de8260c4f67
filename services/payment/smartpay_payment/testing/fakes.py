"""In-memory fakes for fast unit tests of the saga and the payment service (cosmicpython's
FakeUnitOfWork): the unit of work on an in-memory repository with the events kept in a list, a gateway
that keeps its charges in a dict (no idempotency: a second authorize is a second charge, as on
localstripe), and the idempotency and vault stores. Pure logic only: every adapter has its real test."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from smartpay_payment.adapters.idempotency import IdempotencyMismatch, IdempotencyRecord
from smartpay_payment.adapters.memory import InMemoryPaymentRepository
from smartpay_payment.domain.charges import ChargeRequest, ChargeResult, GatewayError, MethodDetails, RefundResult
from smartpay_payment.domain.vault import VaultedMethod
from smartpay_payment.service_layer.payments import PaymentService
from smartpay_payment.service_layer.ports import Gateway
from smartpay_payment.service_layer.saga import Saga
from smartpay_payment.service_layer.unit_of_work import AbstractUnitOfWork
from smartpay_payment.service_layer.vault import VaultService
from smartpay_shared.events.envelope import Envelope, Producer
from smartpay_shared.runtime.publisher import PublishError

PRODUCER = Producer(service="payment", version="0.0.0")


class FakeUnitOfWork(AbstractUnitOfWork):
    def __init__(self, producer: Producer = PRODUCER):
        super().__init__()
        self.payments = InMemoryPaymentRepository()
        self.producer = producer
        self.published: list[Envelope] = []
        self.publish_failures = 0  # the next this many publish calls fail

    def _send(self, envelopes: list[Envelope]) -> None:
        if self.publish_failures:
            self.publish_failures -= 1
            raise PublishError("the bus is down (fake)", {})
        self.published.extend(envelopes)

    def types(self, payment_id: str) -> list[str]:
        return [e.event_type for e in self.published if e.data.payment_id == payment_id]


class FakeGateway(Gateway):
    """Charges by our reference; `decline_tokens` are refused for good; every call is counted."""

    def __init__(self, name: str, decline_tokens: frozenset[str] = frozenset()):
        self.name = name
        self.decline_tokens = decline_tokens
        self.charges: dict[str, dict] = {}  # gateway reference -> charge
        self.refunds: dict[str, RefundResult] = {}  # our refund reference -> refund
        self.calls: Counter = Counter()
        self._ids = itertools.count(1)

    def _result(self, charge: dict) -> ChargeResult:
        return ChargeResult(charge["id"], charge["status"], charge["amount"], charge["captured"], charge["refunded"])

    def authorize(self, request: ChargeRequest) -> ChargeResult:
        self.calls["authorize"] += 1
        if request.method_token in self.decline_tokens:
            raise GatewayError("card_declined", "declined (fake)", retriable=False, declined=True, gateway=self.name)
        charge = {"id": f"{self.name}_{next(self._ids)}", "reference": request.reference, "status": "authorized",
                  "amount": request.amount, "captured": 0, "refunded": 0}
        self.charges[charge["id"]] = charge
        return self._result(charge)

    def capture(self, gateway_reference: str, amount: int, reference: str) -> ChargeResult:
        self.calls["capture"] += 1
        charge = self.charges[gateway_reference]
        if charge["status"] not in ("authorized", "captured"):
            raise GatewayError("invalid_state", f"cannot capture a {charge['status']} charge", retriable=False,
                               gateway=self.name)
        charge.update(status="captured", captured=amount)
        return self._result(charge)

    def refund(self, gateway_reference: str, amount: int, reference: str) -> RefundResult:
        self.calls["refund"] += 1
        if reference not in self.refunds:
            self.charges[gateway_reference]["refunded"] += amount
            self.refunds[reference] = RefundResult(f"re_{next(self._ids)}", amount)
        return self.refunds[reference]

    def void(self, gateway_reference: str, reference: str) -> ChargeResult:
        self.calls["void"] += 1
        charge = self.charges[gateway_reference]
        if charge["status"] != "authorized":
            raise GatewayError("invalid_state", f"cannot void a {charge['status']} charge", retriable=False,
                               gateway=self.name)
        charge["status"] = "voided"
        return self._result(charge)

    def status(self, request: ChargeRequest) -> ChargeResult | None:
        self.calls["status"] += 1
        mine = [c for c in self.charges.values() if c["reference"] == request.reference]
        return self._result(mine[-1]) if mine else None

    def describe(self, token: str) -> MethodDetails:
        return MethodDetails(last4="4242", brand="visa", exp_month=12, exp_year=2030)

    def holding(self, payment_id: str) -> list[dict]:
        """The charges of a payment that hold money (an open authorization, captured and not refunded)."""
        return [c for c in self.charges.values() if c["reference"].startswith(f"{payment_id}-")
                and (c["status"] == "authorized" or c["captured"] - c["refunded"] > 0)]


class InMemoryIdempotency:
    def __init__(self):
        self.records: dict[str, IdempotencyRecord] = {}

    def claim(self, merchant_id: str, key: str, digest: str, payment_id: str) -> IdempotencyRecord:
        name = f"{merchant_id}#{key}"
        if name not in self.records:
            self.records[name] = IdempotencyRecord(payment_id, digest, None)
            return IdempotencyRecord(payment_id, digest, None, claimed=True)
        record = self.records[name]
        if record.body_hash != digest:
            raise IdempotencyMismatch(f"Idempotency-Key {key!r} was used with a different request body")
        return record

    def complete(self, merchant_id: str, key: str, response: dict) -> None:
        record = self.records[f"{merchant_id}#{key}"]
        self.records[f"{merchant_id}#{key}"] = IdempotencyRecord(record.payment_id, record.body_hash, response)


class InMemoryVault:
    def __init__(self):
        self.methods: dict[tuple[str, str], VaultedMethod] = {}

    def add(self, method: VaultedMethod) -> None:
        self.methods[(method.merchant_id, method.vault_id)] = method

    def get(self, merchant_id: str, vault_id: str) -> VaultedMethod | None:
        return self.methods.get((merchant_id, vault_id))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def fake_service(gateways: dict[str, Gateway], clock: Callable[[], datetime], *, max_attempts: int = 3,
                 deadline: timedelta = timedelta(seconds=60)) -> tuple[PaymentService, FakeUnitOfWork, list[float]]:
    """The payment service on fakes; also its unit of work and the in-process waits it slept (not slept)."""
    from smartpay_payment.bootstrap import probe_ledgers

    uow, slept, vault = FakeUnitOfWork(), [], InMemoryVault()
    uow.sleep = slept.append
    saga = Saga(uow, gateways, max_attempts=max_attempts, deadline=deadline, clock=clock, vault=vault,
                ledgers=probe_ledgers(gateways), sleep=slept.append)
    return PaymentService(saga, InMemoryIdempotency(), VaultService(vault, gateways)), uow, slept
