"""Reconciliation's pure part: a charge as a gateway records it, and what one payment's charges say
against its record (lost, double charged, orphan charge, amount mismatch)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from smartpay_payment.domain import model as m
from smartpay_payment.domain.charges import ChargeResult

Kind = Literal["lost", "double_charged", "orphan_charge", "amount_mismatch"]
KINDS: tuple[Kind, ...] = ("lost", "double_charged", "orphan_charge", "amount_mismatch")
FIXABLE: set[str] = {"double_charged", "orphan_charge"}


def payment_id_of(reference: str) -> str:
    return reference.rsplit("-", 1)[0]


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

    @classmethod
    def of(cls, gateway: str, reference: str, result: ChargeResult, created: float | None = None) -> GatewayCharge:
        return cls(gateway, reference, result.gateway_reference, result.status, result.amount,
                   result.captured_amount, result.refunded_amount, created)

    @property
    def payment_id(self) -> str:
        return payment_id_of(self.reference)

    @property
    def holds_money(self) -> bool:
        """An authorization still reserved, or captured money not refunded."""
        return self.status == "authorized" or self.captured - self.refunded > 0

    def as_result(self) -> ChargeResult:
        return ChargeResult(self.gateway_reference, self.status, self.amount, self.captured, self.refunded)


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
    charge_status: str | None = None  # the gateway's status of the charge it is about (None: lost, amount_mismatch)


def assess(payment: m.Payment | None, charges: list[GatewayCharge], *, deadline_at: float | None,
           now: datetime, grace: timedelta) -> tuple[bool, list[Finding]]:
    """(in_flight, findings) for one payment and the charges the gateways hold for it. A payment
    still inside its deadline (plus `grace`) is in flight: money may be moving, nothing is judged."""
    if payment is None:  # a charge for a payment the table does not have
        return False, [Finding(c.payment_id, "orphan_charge", f"{c.status} on {c.gateway}, no payment record",
                               None, c.gateway, c.gateway_reference, c.captured - c.refunded or c.amount,
                               charge_status=c.status)
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
                                    f"{own.gateway_reference}", state, c.gateway, c.gateway_reference, held,
                                    charge_status=c.status))
        else:
            findings.append(Finding(payment.payment_id, "orphan_charge",
                                    f"{c.status} on {c.gateway} ({c.reference}) while the payment is {state}", state,
                                    c.gateway, c.gateway_reference, held, charge_status=c.status))
    if own is not None and own.status == "authorized":  # a terminal payment keeps no hold
        findings.append(Finding(payment.payment_id, "orphan_charge", f"authorization left open while {state}",
                                state, own.gateway, own.gateway_reference, own.amount, charge_status=own.status))
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
