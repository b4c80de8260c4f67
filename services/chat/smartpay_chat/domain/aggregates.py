"""What each metric asks the engine for (METRICS.md), in engine-neutral terms, and how the engine's raw
figures become the answer's values. Both executors translate the same `Aggregate`s, so they agree."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from smartpay_chat.domain import currency as currencies
from smartpay_chat.domain.plan import MONEY_METRICS, AggregatePlan

Condition = Literal["all", "approved", "terminal", "declined", "declined_fraud", "refunded_any", "fell_back"]
# Statuses per condition (glossary): approved = captured + refunded + partially_refunded; terminal = not pending.
CONDITION_STATUSES: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "approved": ("captured", "refunded", "partially_refunded"),
    "terminal": ("captured", "refunded", "partially_refunded", "declined_fraud", "failed"),
    "declined": ("failed", "declined_fraud"),
    "declined_fraud": ("declined_fraud",),
    "refunded_any": ("refunded", "partially_refunded"),
    "fell_back": None,  # terminal and fell_back = true
}
RATE_PLACES = Decimal("0.0001")
# Decline reasons are grouped by the code; the gateways' own texts for it are detail (METRICS.md, issue #17):
# the first DETAIL_TEXTS distinct texts in alphabetical order, and how many distinct texts there are.
DETAIL_TEXTS = 3


@dataclass(frozen=True)
class Aggregate:
    name: str
    op: Literal["count", "sum", "percentile"]
    condition: Condition = "all"
    field: str | None = None
    percentile: float | None = None


def aggregates(plan: AggregatePlan) -> tuple[Aggregate, ...]:
    m = plan.metric
    if m == "count":
        return (Aggregate("n", "count"),)
    if m in ("volume", "average_order_value"):
        return Aggregate("n", "count", "approved"), Aggregate("amount_minor", "sum", "approved", "amount_minor")
    if m == "net":
        return (Aggregate("amount_minor", "sum", "approved", "amount_minor"),
                Aggregate("refunded_minor", "sum", "approved", "refunded_amount_minor"))
    if m == "refund_total":
        return (Aggregate("refunded_minor", "sum", "approved", "refunded_amount_minor"),)
    if m == "latency":
        return (Aggregate("n", "count", "all", "latency_ms"),
                *(Aggregate(f"p{p:g}", "percentile", "all", "latency_ms", p) for p in plan.percentiles))
    numerator = {"approval_rate": "approved", "decline_rate": "declined", "fraud_decline_rate": "declined_fraud",
                 "fallback_rate": "fell_back", "refund_rate": "refunded_any"}[m]
    denominator = "approved" if m == "refund_rate" else "terminal"
    return Aggregate("numerator", "count", numerator), Aggregate("denominator", "count", denominator)


def _major(minor: int, code: str) -> Decimal:
    return currencies.to_decimal(int(minor), code)


def value_of(plan: AggregatePlan, row: dict[str, Any]) -> Decimal | None:
    """The metric's value for one engine row: exact Decimals; None when undefined (0 denominators)."""
    m, code = plan.metric, row.get("currency")
    if m == "count":
        return Decimal(int(row["n"]))
    if m == "volume":
        return _major(row["amount_minor"] or 0, code)
    if m == "net":
        return _major((row["amount_minor"] or 0) - (row["refunded_minor"] or 0), code)
    if m == "refund_total":
        return _major(row["refunded_minor"] or 0, code)
    if m == "average_order_value":
        if not row["n"]:
            return None
        places = Decimal(1).scaleb(-currencies.exponent(code))
        return (_major(row["amount_minor"], code) / int(row["n"])).quantize(places, ROUND_HALF_EVEN)
    if m == "latency":
        p = f"p{plan.percentiles[0]:g}"
        return None if row.get(p) is None else Decimal(str(round(float(row[p]), 3)))
    if not row["denominator"]:
        return None
    return (Decimal(int(row["numerator"])) / int(row["denominator"])).quantize(RATE_PLACES, ROUND_HALF_EVEN)


def rank(plan: AggregatePlan, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order by value (plan.order), ties by group labels; a time series without top-N reads in time order.
    Money metrics rank and cut within each currency: amounts in different currencies are not comparable."""
    money = plan.metric in MONEY_METRICS
    sign = -1 if plan.order == "desc" else 1
    series = plan.top_n is None and any(k in ("day", "hour") for k in plan.group_keys)

    def key(row: dict[str, Any]) -> tuple:
        labels = tuple(str(row.get(k)) for k in plan.group_keys)
        if series:
            return (labels,)
        v = row["value"]
        return (row.get("currency") if money else "", v is None, sign * (v or 0), labels)

    ordered = sorted(rows, key=key)
    if plan.top_n is None:
        return ordered
    kept, seen = [], {}
    for row in ordered:
        bucket = row.get("currency") if money else None
        if seen.get(bucket, 0) < plan.top_n:
            kept.append(row)
            seen[bucket] = seen.get(bucket, 0) + 1
    return kept
