"""Reconciliation (the janitor): the payments table against each gateway's own record.

Two levels:
- `reconcile(saga, payment)`: the ledger check of one payment (what the gateways hold for every
  attempt against what the record says); the tests and the demo use it to prove nothing was charged
  twice.
- `Reconciler.run()`: every payment (or the ones asked for) against the gateways' charges read from
  their own ledgers: Stripe's PaymentIntents and refunds listed through the SDK (tied to payments by
  the `smartpay_reference` metadata the connector sets), the Amazon Pay sandbox's charge list
  (`merchantReferenceId`), and for Solana the on-chain receipt accounts derived from each attempt's
  reference (a receipt is created in the same atomic transaction as the transfer of exactly the
  request amount, so it proves the amount). Findings per payment: lost, double charged, orphan
  charge, amount mismatch. `fix=True` voids or refunds orphan and duplicate charges through the
  saga's own compensation (recorded on the payment, idempotent: a second run finds nothing to do).
"""

from __future__ import annotations

import abc
import logging
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import requests

from smartpay_payment.adapters.gateways.base import ChargeRequest, ChargeResult, Gateway, GatewayError
from smartpay_payment.adapters.gateways.solana_gateway import SolanaGateway
from smartpay_payment.adapters.repository import Stored
from smartpay_payment.domain import model as m
from smartpay_payment.domain.model import Payment
from smartpay_payment.service_layer.saga import Saga

log = logging.getLogger(__name__)


# --- the per-payment ledger check ---------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerCheck:
    payment_id: str
    record_captured: int
    record_refunded: int
    gateway_captured: int
    gateway_refunded: int
    charges: int  # attempts the gateways hold money for

    @property
    def ok(self) -> bool:
        return (self.record_captured, self.record_refunded) == (self.gateway_captured, self.gateway_refunded)


def _status(gateway: Gateway, request: ChargeRequest, attempts: int = 5) -> ChargeResult | None:
    """A ledger read is retried through transient gateway errors; a persistent one propagates (the
    check then cannot say the payment is fine, and must not)."""
    for attempt in range(1, attempts + 1):
        try:
            return gateway.status(request)
        except GatewayError as e:
            if not e.retriable or attempt == attempts:
                raise
            time.sleep(0.2 * attempt)
    return None


def _solana_refunded(gateway: SolanaGateway, payment: Payment, gateway_reference: str | None = None) -> int:
    """A chain has no refund total per charge: the refund receipts the record names, found on chain."""
    return sum(r.amount for r in payment.refunds
               if (r.gateway or payment.gateway) == gateway.name
               and (gateway_reference is None or (r.gateway_reference or payment.gateway_reference) == gateway_reference)
               and gateway.receipt_exists(f"{payment.payment_id}-r{r.number}"))


def reconcile(saga: Saga, payment: Payment) -> LedgerCheck:
    captured = refunded = charges = 0
    for attempt, gateway_name in enumerate(payment.tried_gateways, start=1):
        gateway = saga.gateways.get(gateway_name)
        if gateway is None:
            continue
        request = saga.charge_request(payment.model_copy(update={"attempt": attempt}))
        found = _status(gateway, request)
        if found is None or not found.captured_amount:
            continue
        charges += 1
        captured += found.captured_amount
        if isinstance(gateway, SolanaGateway):
            refunded += sum(r.amount for r in payment.refunds if r.status == "succeeded"
                            and (r.gateway or payment.gateway) == gateway_name
                            and gateway.receipt_exists(f"{payment.payment_id}-r{r.number}"))
        else:
            refunded += found.refunded_amount
    return LedgerCheck(payment.payment_id, payment.captured_amount, payment.refunded_amount, captured, refunded,
                       charges)


# --- what a gateway holds -----------------------------------------------------------------------------
@dataclass(frozen=True)
class GatewayCharge:
    """One charge as the gateway records it, tied to our attempt reference `{payment_id}-{attempt}`."""

    gateway: str
    reference: str
    gateway_reference: str
    status: str  # authorized | captured | voided | failed | refunded | partially_refunded
    amount: int
    captured: int
    refunded: int
    created: float | None = None  # epoch seconds, when the gateway says

    @property
    def payment_id(self) -> str:
        return payment_id_of(self.reference)

    @property
    def holds_money(self) -> bool:
        """An authorization still reserved, or captured money not refunded."""
        return self.status == "authorized" or self.captured - self.refunded > 0

    def as_result(self) -> ChargeResult:
        return ChargeResult(self.gateway_reference, self.status, self.amount, self.captured, self.refunded)


def payment_id_of(reference: str) -> str:
    return reference.rsplit("-", 1)[0]


def _charge(gateway: str, reference: str, result: ChargeResult, created: float | None = None) -> GatewayCharge:
    return GatewayCharge(gateway, reference, result.gateway_reference, result.status, result.amount,
                         result.captured_amount, result.refunded_amount, created)


class GatewayLedger(abc.ABC):
    """Reads one gateway's own record of charges."""

    gateway: str

    @abc.abstractmethod
    def charges(self, payments: list[Payment]) -> list[GatewayCharge]:
        """Every charge the gateway holds for these payments; ledgers that can list everything also
        return charges of payments the table does not have (orphans of an unknown payment)."""


class StripeLedger(GatewayLedger):
    """Stripe / localstripe: every PaymentIntent carrying our reference, listed through the SDK."""

    gateway = "stripe"

    def __init__(self, api_key: str, api_base: str | None = None, timeout_seconds: float = 10.0):
        import stripe

        base = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(api_key, base_addresses=base, max_network_retries=2,
                                           http_client=stripe.RequestsClient(timeout=timeout_seconds))

    def charges(self, payments: list[Payment]) -> list[GatewayCharge]:
        from smartpay_payment.adapters.gateways import stripe_conversions as conv

        page = self._client.v1.payment_intents.list(params={"limit": 100})
        # Deduplicated by id: localstripe's pagination can hand the same page back.
        intents = {i.id: i for i in page.auto_paging_iter() if conv.metadata(i).get("smartpay_reference")}
        found = []
        for intent in intents.values():
            reference = conv.metadata(intent)["smartpay_reference"]
            if intent.status == "succeeded":  # amounts captured/refunded live on the charge
                intent = self._client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
            created = getattr(intent, "created", None)
            found.append(_charge(self.gateway, reference, conv.to_result(intent), float(created) if created else None))
        return found


class AmazonPaySandboxLedger(GatewayLedger):
    """The Amazon Pay LOCAL SANDBOX's charge list (GET /__sandbox/ledger). Real Amazon Pay has no list
    call: use `ProbeLedger` (per-attempt status reads) there."""

    gateway = "amazon_pay"

    def __init__(self, endpoint: str, timeout_seconds: float = 10.0):
        self._url = endpoint.rstrip("/") + "/__sandbox/ledger"
        self._timeout = timeout_seconds

    def charges(self, payments: list[Payment]) -> list[GatewayCharge]:
        from smartpay_payment.adapters.gateways import amazon_pay_conversions as conv

        response = requests.get(self._url, timeout=self._timeout)
        response.raise_for_status()
        return [_charge(self.gateway, c["merchantReferenceId"], conv.to_result(c), _amazon_time(c))
                for c in response.json()["charges"] if c.get("merchantReferenceId")]


def _amazon_time(charge: dict) -> float | None:
    try:
        return datetime.strptime(charge["creationTimestamp"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except (KeyError, ValueError):
        return None


class ProbeLedger(GatewayLedger):
    """A gateway without a list call (Solana: receipts on chain; Amazon Pay live): the gateway's status
    of every attempt each payment routed to it. Refunds on Solana are counted from their receipts."""

    def __init__(self, gateway: Gateway, saga: Saga):
        self._gateway = gateway
        self._saga = saga
        self.gateway = gateway.name

    def charges(self, payments: list[Payment]) -> list[GatewayCharge]:
        found = []
        for payment in payments:
            for attempt, name in enumerate(payment.tried_gateways, start=1):
                if name != self.gateway:
                    continue
                request = self._saga.charge_request(payment.model_copy(update={"attempt": attempt}))
                result = _status(self._gateway, request)
                if result is None:
                    continue
                if isinstance(self._gateway, SolanaGateway):
                    refunded = _solana_refunded(self._gateway, payment, result.gateway_reference)
                    status = "captured" if refunded < result.captured_amount else "refunded"
                    result = ChargeResult(result.gateway_reference, status, result.amount, result.captured_amount,
                                          refunded)
                found.append(_charge(self.gateway, request.reference, result))
        return found


def default_ledgers(saga: Saga, settings: Any) -> dict[str, GatewayLedger]:
    """The readers for the configured gateways: listing ones where the gateway can list."""
    ledgers: dict[str, GatewayLedger] = {}
    for name, gateway in saga.gateways.items():
        if name == "stripe":
            ledgers[name] = StripeLedger(_stripe_key(settings), settings.stripe_api_base,
                                         settings.gateway_timeout_seconds)
        elif name == "amazon_pay" and _is_sandbox(settings.amazon_pay_endpoint):
            ledgers[name] = AmazonPaySandboxLedger(settings.amazon_pay_endpoint, settings.gateway_timeout_seconds)
        else:
            ledgers[name] = ProbeLedger(gateway, saga)
    return ledgers


def _stripe_key(settings: Any) -> str:
    """The connector's own credential: the explicit test value, else the Secrets Manager secret."""
    if settings.stripe_api_key:
        return settings.stripe_api_key.get_secret_value()
    from smartpay_payment.adapters.secrets import stripe_credentials
    from smartpay_payment.bootstrap import secret_store

    return stripe_credentials(secret_store(settings), settings.stripe_secret_id).api_key


def _is_sandbox(endpoint: str) -> bool:
    try:
        return requests.get(endpoint.rstrip("/") + "/__sandbox/health", timeout=3).ok
    except requests.RequestException:
        return False


# --- findings (pure) --------------------------------------------------------------------------------
Kind = Literal["lost", "double_charged", "orphan_charge", "amount_mismatch"]
FIXABLE: set[str] = {"double_charged", "orphan_charge"}


@dataclass
class Finding:
    payment_id: str
    kind: Kind
    detail: str
    state: str | None = None
    gateway: str | None = None
    gateway_reference: str | None = None
    amount: int = 0
    fixed: bool = False
    fix: str | None = None  # what --fix did (or why it could not)


def assess(payment: Payment | None, charges: list[GatewayCharge], *, deadline_at: float | None,
           now: datetime, grace: timedelta) -> tuple[bool, list[Finding]]:
    """(in_flight, findings) for one payment and the charges the gateways hold for it. A payment
    still inside its deadline (plus `grace`) is in flight: money may be moving, nothing is judged."""
    if payment is None:  # a charge for a payment the table does not have
        return False, [Finding(c.payment_id, "orphan_charge", f"{c.status} on {c.gateway}, no payment record",
                               None, c.gateway, c.gateway_reference, c.captured - c.refunded or c.amount)
                       for c in charges if c.holds_money]
    state = payment.state.value
    if payment.state not in m.TERMINAL:
        if deadline_at is None or now.timestamp() <= deadline_at + grace.total_seconds():
            return True, []
        return False, [Finding(payment.payment_id, "lost", f"accepted, still {state} past its deadline", state,
                               payment.gateway, payment.gateway_reference, payment.amount)]
    findings: list[Finding] = []
    compensated = {r.gateway_reference for r in payment.refunds if r.compensation}
    accounted = [c for c in charges if c.gateway_reference == payment.gateway_reference
                 and c.gateway == payment.gateway or c.gateway_reference in compensated]
    own = next((c for c in accounted if c.gateway_reference == payment.gateway_reference), None)
    own_holds = own is not None and own.captured - own.refunded > 0
    for c in charges:
        if c in accounted and not (c.status == "authorized" and c.gateway_reference in compensated):
            continue
        if not c.holds_money:
            continue
        held = c.amount if c.status == "authorized" else c.captured - c.refunded
        if own_holds and c.status != "authorized":  # the customer paid twice
            findings.append(Finding(payment.payment_id, "double_charged",
                                    f"second charge {c.status} on {c.gateway} ({c.reference}) besides "
                                    f"{own.gateway_reference}", state, c.gateway, c.gateway_reference, held))
        else:
            findings.append(Finding(payment.payment_id, "orphan_charge",
                                    f"{c.status} on {c.gateway} ({c.reference}) while the payment is {state}", state,
                                    c.gateway, c.gateway_reference, held))
    if own is not None and own.status == "authorized":  # a terminal payment keeps no hold
        findings.append(Finding(payment.payment_id, "orphan_charge", f"authorization left open while {state}",
                                state, own.gateway, own.gateway_reference, own.amount))
    pending = sum(r.amount for r in payment.refunds if r.status == "pending")
    captured = sum(c.captured for c in accounted)
    refunded = sum(c.refunded for c in accounted)
    if captured != payment.captured_amount or not (
            payment.refunded_amount <= refunded <= payment.refunded_amount + pending):
        findings.append(Finding(payment.payment_id, "amount_mismatch",
                                f"record captured {payment.captured_amount} refunded {payment.refunded_amount}"
                                f"{f' (+{pending} pending)' if pending else ''}; gateway captured {captured} "
                                f"refunded {refunded}", state, payment.gateway, payment.gateway_reference,
                                abs(captured - refunded - payment.captured_amount + payment.refunded_amount)))
    return False, findings


# --- the run ------------------------------------------------------------------------------------------
@dataclass
class ReconcileReport:
    checked: int = 0
    in_flight: int = 0
    gateway_charges: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def count(self, kind: str) -> dict[str, int]:
        of_kind = [f for f in self.findings if f.kind == kind]
        return {"found": len(of_kind), "fixed": sum(f.fixed for f in of_kind),
                "unresolved": sum(not f.fixed for f in of_kind)}

    @property
    def unresolved(self) -> list[Finding]:
        return [f for f in self.findings if not f.fixed]

    def to_json(self) -> dict[str, Any]:
        return {"checked": self.checked, "in_flight": self.in_flight, "gateway_charges": self.gateway_charges,
                "summary": {k: self.count(k) for k in ("lost", "double_charged", "orphan_charge", "amount_mismatch")},
                "findings": [asdict(f) for f in self.findings], "errors": self.errors}


class Reconciler:
    def __init__(self, saga: Saga, ledgers: dict[str, GatewayLedger], *, grace: timedelta = timedelta(seconds=60)):
        self.saga = saga
        self.ledgers = ledgers
        self.grace = grace

    def run(self, payment_ids: list[str] | None = None, *, fix: bool = False, now: datetime | None = None,
            unknown_since: float | str | None = "table") -> ReconcileReport:
        """`unknown_since`: charges of payments the table lacks count when the gateway created them at or
        after this epoch second; "table": the table's oldest payment (a sandbox kept from earlier runs
        holds charges of tables long gone); None: not reported. Not used with `payment_ids`."""
        now = now or self.saga.clock()
        repo = self.saga.store.repo
        stored: list[Stored] = [s for s in (repo.get(pid) for pid in payment_ids)] if payment_ids else repo.all()
        records = {s.payment.payment_id: s for s in stored if s}
        report = ReconcileReport(checked=len(records))
        payments = [s.payment for s in records.values()]
        if unknown_since == "table":
            unknown_since = min(p.created_at for p in payments).timestamp() - 1 if payments else None
        by_payment: dict[str, list[GatewayCharge]] = defaultdict(list)
        for name, ledger in self.ledgers.items():
            try:
                charges = ledger.charges(payments)
            except (GatewayError, requests.RequestException, OSError) as e:
                report.errors.append(f"{name}: ledger unreadable: {e}")
                continue
            except Exception as e:  # an SDK error type (stripe.StripeError): the run says so and fails
                report.errors.append(f"{name}: ledger unreadable: {type(e).__name__}: {e}")
                continue
            report.gateway_charges[name] = len(charges)
            for charge in charges:
                if charge.payment_id in records or (payment_ids is None and unknown_since is not None
                                                    and charge.created is not None
                                                    and charge.created >= float(unknown_since)):
                    by_payment[charge.payment_id].append(charge)
        for pid in sorted(set(records) | set(by_payment)):
            item = records.get(pid)
            in_flight, findings = assess(item.payment if item else None, by_payment.get(pid, []),
                                         deadline_at=item.deadline_at if item else None, now=now, grace=self.grace)
            report.in_flight += in_flight
            if fix:
                for finding in findings:
                    if finding.kind in FIXABLE:
                        self._fix(finding, item.payment if item else None, by_payment[pid])
            report.findings.extend(findings)
        return report

    # --- --fix: void or refund what nobody should hold ------------------------------------------------
    def _fix(self, finding: Finding, payment: Payment | None, charges: list[GatewayCharge]) -> None:
        charge = next(c for c in charges if c.gateway_reference == finding.gateway_reference)
        gateway = self.saga.gateways.get(charge.gateway)
        if gateway is None:
            finding.fix = f"no {charge.gateway} connector here"
            return
        try:
            if payment is None:
                finding.fix = self._fix_unknown(gateway, charge)
            else:
                finding.fix = self._compensate(gateway, payment, charge)
            finding.fixed = True
        except GatewayError as e:
            finding.fix = f"not fixed: {e}"
        log.warning("reconcile fix %s %s: %s", finding.payment_id, finding.kind, finding.fix)

    def _compensate(self, gateway: Gateway, payment: Payment, charge: GatewayCharge) -> str:
        """The saga's own compensation: void a hold, else record the charge and refund it (the refund
        reference is recorded on the payment, so a rerun is a no-op)."""
        pending = next((r for r in payment.refunds if r.compensation and r.status == "pending"
                        and r.gateway_reference == charge.gateway_reference), None)
        if pending is not None:
            self.saga.settle_refund(payment, pending, None)
            return f"settled pending compensation refund {pending.number} of {pending.amount}"
        if charge.status == "authorized":
            try:
                gateway.void(charge.gateway_reference, f"{payment.payment_id}-void")
                return f"voided authorization {charge.gateway_reference}"
            except GatewayError:
                pass  # captured meanwhile: refund below
        result = ChargeResult(charge.gateway_reference, "captured", charge.captured - charge.refunded,
                              charge.captured - charge.refunded)
        self.saga.compensate(payment, None, result, gateway)
        after = self.saga.store.repo.get(payment.payment_id).payment
        refund = next((r for r in after.refunds if r.compensation and r.gateway_reference == charge.gateway_reference),
                      None)
        if refund is None or refund.status != "succeeded":
            raise GatewayError("refund_pending", "compensation refund still pending (the sweeper retries it)",
                               retriable=True, gateway=gateway.name)
        return f"refunded {refund.amount} of {charge.gateway_reference} (refund {refund.refund_id}, recorded)"

    @staticmethod
    def _fix_unknown(gateway: Gateway, charge: GatewayCharge) -> str:
        """No payment record to write to: void or refund at the gateway under a fixed reference."""
        if charge.status == "authorized":
            gateway.void(charge.gateway_reference, f"{charge.reference}-reconcile-void")
            return f"voided authorization {charge.gateway_reference} (no payment record)"
        done = gateway.refund(charge.gateway_reference, charge.captured - charge.refunded, f"{charge.reference}-reconcile")
        return f"refunded {done.amount} of {charge.gateway_reference} (refund {done.refund_id}; no payment record)"
