"""Pure readings shared by `make demo` (scripts/demo.py) and `make chaos` (bench/chaos.py): no I/O here,
so every rule below has a unit test (tests/unit/test_outcomes.py).

- what each finding of `smartpay payment reconcile --json` means for the customer: a hold that was
  released (no money taken) against money taken twice, or taken for a payment that did not succeed;
- where a saga ends, read from the payment's own timeline (GET /payments/{id} `timeline`), and
  percentiles of those spans;
- the refunds of a payment as rows that say whether each one is settled or still pending.

The reconcile JSON (services/payment/.../service_layer/reconcile.py, `ReconcileReport.to_json`) gives per
finding: payment_id, kind (lost | double_charged | orphan_charge | amount_mismatch), detail, state (the
payment's state, upper case, None when the table has no record), gateway, gateway_reference, amount,
fixed, fix, and charge_status (the gateway's status of the charge the finding is about: authorized, captured,
...; None for lost and amount_mismatch), cross-checked with `fix` ("voided authorization ..." released a hold;
"refunded ..." or "settled pending compensation refund ..." gave captured money back). A charge finding without
a charge_status counts as money
taken (the run fails and says it could not read the finding): an unknown is never reported as harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# --- reconcile findings -> what happened to the customer -------------------------------------------------
# A payment in one of these states kept (or once kept, then refunded) its own capture.
KEPT_MONEY_STATES = {"CAPTURED", "INDEXED", "PARTIALLY_REFUNDED", "REFUNDED"}

VOIDED_HOLD = "voided_hold"  # an authorization nobody should hold, released: no money taken
OPEN_HOLD = "open_hold"  # the same, not released (yet)
DOUBLE_CHARGE = "double_charge"  # the customer paid twice (even if reconcile refunded one since)
CHARGED_FOR_FAILED = "charged_for_failed_payment"  # money captured for a payment that failed or was declined
CHARGE_WITHOUT_PAYMENT = "charge_without_payment"  # money captured for a payment the table does not have
LOST = "lost"
AMOUNT_MISMATCH = "amount_mismatch"
UNREADABLE = "unreadable_finding"

# Categories that fail a run (the demo exits 1, chaos counts them). Only a hold released without any
# money moving is not a failure: the gateway reserved funds on an attempt the saga had left behind (an
# injected timeout or 503), and reconcile voided it.
FAILING = {OPEN_HOLD, DOUBLE_CHARGE, CHARGED_FOR_FAILED, CHARGE_WITHOUT_PAYMENT, LOST, AMOUNT_MISMATCH, UNREADABLE}
MONEY_TAKEN_WRONGLY = {DOUBLE_CHARGE, CHARGED_FOR_FAILED, CHARGE_WITHOUT_PAYMENT}

@dataclass(frozen=True)
class Verdict:
    payment_id: str
    kind: str  # reconcile's finding kind
    category: str  # one of the constants above
    money_taken: bool  # money left the customer's account for this charge (captured), even if refunded since
    fixed: bool
    amount: int
    gateway: str | None
    explanation: str
    fix: str | None

    @property
    def fails(self) -> bool:
        return self.category in FAILING


def classify(finding: dict[str, Any]) -> Verdict:
    """One finding of `reconcile --json` -> what it means for the customer."""
    kind, state = finding["kind"], (finding.get("state") or None)
    state = state.upper() if state else None
    detail, fix, fixed = finding.get("detail") or "", finding.get("fix") or None, bool(finding.get("fixed"))
    amount, gateway = int(finding.get("amount") or 0), finding.get("gateway")

    def verdict(category: str, money: bool, explanation: str) -> Verdict:
        return Verdict(finding["payment_id"], kind, category, money, fixed, amount, gateway, explanation, fix)

    if kind == "lost":
        return verdict(LOST, False, f"accepted but still {state} past its saga deadline")
    if kind == "amount_mismatch":
        return verdict(AMOUNT_MISMATCH, True, f"the record and the gateway disagree: {detail}")
    status = finding.get("charge_status") or None
    refunded_by_fix = bool(fix) and fix.startswith(("refunded", "settled pending compensation refund"))
    if kind == "double_charged":
        # Reconcile reports double_charged only for captured money besides the payment's own capture.
        return verdict(DOUBLE_CHARGE, True, f"charged twice: {detail}")
    if kind != "orphan_charge":
        return verdict(UNREADABLE, True, f"unknown finding kind {kind!r}: {detail}")
    if status is None:
        return verdict(UNREADABLE, True, f"reconcile gave no charge_status for this charge: {detail!r}")
    money = status != "authorized" or refunded_by_fix  # a hold captured before the void was refunded instead
    if not money:
        if fixed:
            return verdict(VOIDED_HOLD, False, f"authorization on {gateway} released by --fix (no money taken): "
                                               f"{detail}")
        return verdict(OPEN_HOLD, False, f"authorization on {gateway} still open: {detail}")
    if state is None:
        return verdict(CHARGE_WITHOUT_PAYMENT, True, f"money captured on {gateway} for a payment the table lacks: "
                                                     f"{detail}")
    if state in KEPT_MONEY_STATES:
        return verdict(DOUBLE_CHARGE, True, f"charged twice: the payment kept its own capture ({state}) and "
                                            f"another charge captured too: {detail}")
    return verdict(CHARGED_FOR_FAILED, True, f"money captured on {gateway} while the payment is {state}: {detail}")


def classify_all(report: dict[str, Any]) -> list[Verdict]:
    return [classify(f) for f in report.get("findings", [])]


def count_categories(verdicts: Iterable[Verdict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v.category] = counts.get(v.category, 0) + 1
    return dict(sorted(counts.items()))


# --- the saga's span from the payment's own timeline --------------------------------------------------------
END_STATES = ("INDEXED", "FRAUD_DECLINED", "DECLINED", "FAILED")  # where a saga ends (INDEXED: after capture)


def saga_span(view: dict[str, Any]) -> tuple[float, float] | None:
    """(start, end) in epoch seconds from the payment's own timeline: REQUESTED (the record's first write,
    when POST /pay was taken) to the first state that ends the saga (INDEXED for a captured payment, else its
    decline or failure). None while the saga has not ended (a payment still CAPTURED, not yet indexed,
    has not ended: the saga's last step is the index)."""
    timeline = view.get("timeline") or []
    start = next((e["at"] for e in timeline if e.get("state") == "REQUESTED"), None)
    end = next((e["at"] for e in timeline if e.get("state") in END_STATES), None)
    if start is None or end is None:
        return None
    return datetime.fromisoformat(start).timestamp(), datetime.fromisoformat(end).timestamp()


def saga_ms(view: dict[str, Any]) -> float | None:
    span = saga_span(view)
    return None if span is None else (span[1] - span[0]) * 1000


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the closest ranks (statistics' inclusive method)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(values_ms: Sequence[float]) -> dict[str, float] | None:
    if not values_ms:
        return None
    return {"n": len(values_ms), "p50_ms": round(percentile(values_ms, 50), 1),
            "p99_ms": round(percentile(values_ms, 99), 1), "max_ms": round(max(values_ms), 1)}


# --- refunds: settled or still pending ----------------------------------------------------------------------
@dataclass(frozen=True)
class RefundRow:
    payment_id: str
    asked: str  # what the demo asked for ("full" or an amount) and the HTTP answer
    number: int | None
    amount: int | None
    status: str  # succeeded | pending | refused | not recorded
    final: bool  # settled for good (succeeded or refused); a pending one may still change

    @property
    def shown(self) -> str:
        return {"succeeded": "refunded (settled)", "pending": "PENDING: still settling, not final",
                "refused": "refused by the gateway"}.get(self.status, self.status)


def refund_rows(view: dict[str, Any], asked: str) -> list[RefundRow]:
    """One row per refund the merchant asked for on this payment (compensations, reconcile's own
    refunds, are not the merchant's), from the payment's current record."""
    rows = [RefundRow(view.get("payment_id", "?"), asked, r.get("number"), r.get("amount"), r.get("status", "?"),
                      r.get("status") in ("succeeded", "refused"))
            for r in view.get("refunds", []) if not r.get("compensation")]
    return rows or [RefundRow(view.get("payment_id", "?"), asked, None, None, "not recorded", True)]


def pending_refunds(view: dict[str, Any]) -> int:
    return sum(1 for r in view.get("refunds", []) if r.get("status") == "pending" and not r.get("compensation"))
