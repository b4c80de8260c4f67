"""Answer text templated from the executed results only: every figure printed comes from a result row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from smartpay_chat.domain.currency import show, to_decimal
from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.plan import MONEY_METRICS, RATE_METRICS, AggregatePlan
from smartpay_chat.domain.windows import Bounds

LABELS = {"count": "Payments", "volume": "Volume (gross, approved payments)", "net": "Net volume (gross - refunds)",
          "average_order_value": "Average order value (approved payments)", "approval_rate": "Approval rate",
          "decline_rate": "Decline rate", "fraud_decline_rate": "Fraud decline rate",
          "fallback_rate": "Fallback rate", "refund_total": "Refunded amount", "refund_rate": "Refund rate",
          "latency": "Latency (creation -> final outcome)"}
SHOWN_GROUPS = 12


def describe_scope(plan: AggregatePlan, bounds: Bounds | None) -> str:
    f, parts = plan.filters, []
    for label, values in (("status", f.statuses), ("gateway", f.gateways), ("currency", f.currencies),
                          ("method", f.methods), ("country", f.countries), ("fraud decision", f.fraud_decisions)):
        if values:
            parts.append(f"{label} {'/'.join(values)}")
    if f.fell_back is not None:
        parts.append("fell back to another gateway" if f.fell_back else "did not fall back")
    for name, op in (("amount_gte", ">="), ("amount_gt", ">"), ("amount_lte", "<="), ("amount_lt", "<")):
        if getattr(f, name) is not None:
            parts.append(f"amount {op} {getattr(f, name)}")
    if bounds:
        parts.append(f"created in [{bounds.start:%Y-%m-%d %H:%M}, {bounds.end:%Y-%m-%d %H:%M}) UTC"
                     + (f" ({plan.window.period} in {plan.timezone})" if plan.window else ""))
    else:
        parts.append("all time")
    return ", ".join(parts)


def format_value(plan: AggregatePlan, row: dict[str, Any]) -> str:
    value: Decimal | None = row["value"]
    if plan.metric == "latency":
        shown = ", ".join(f"p{p:g} {row[f'p{p:g}']:.1f} ms" if row.get(f"p{p:g}") is not None else f"p{p:g} n/a"
                          for p in plan.percentiles)
        return f"{shown} over {row['n']} payments"
    if value is None:
        return "n/a (no payments to divide by)"
    if plan.metric in RATE_METRICS:
        return f"{value * 100:.2f}% ({row['numerator']} of {row['denominator']})"
    if plan.metric in MONEY_METRICS:
        count = f" over {row['n']} payments" if "n" in row else ""
        return f"{row['currency']} {show(value)}{count}"
    return f"{value}"


def aggregate_text(plan: AggregatePlan, bounds: Bounds | None, rows: list[dict[str, Any]], matched: int) -> str:
    head = f"{LABELS[plan.metric]} — {describe_scope(plan, bounds)}"
    if plan.group_by:
        head += f", by {', '.join(plan.group_by)}"
    if plan.top_n:
        head += f", {'top' if plan.order == 'desc' else 'bottom'} {plan.top_n}"
    if not rows:
        return f"{head}: no payments match."
    labels = [k for k in plan.group_keys if not (k == "currency" and "currency" not in plan.group_by)]
    lines = []
    for row in rows[:SHOWN_GROUPS]:
        label = " / ".join(str(row[k]) for k in labels) + _detail(row)
        lines.append(f"{label}: {format_value(plan, row)}" if label else format_value(plan, row))
    more = f" (+{len(rows) - SHOWN_GROUPS} more groups in the rows)" if len(rows) > SHOWN_GROUPS else ""
    return f"{head}: " + "; ".join(lines) + more + f". {matched} payments in scope."


def _detail(row: dict[str, Any]) -> str:
    """A decline code's gateway texts, shown after the code: "do_not_honor ("Do not honor"; +1 more text)"."""
    texts = row.get("detail")
    if not texts:
        return ""
    total = row.get("detail_texts", len(texts))
    shown = "; ".join(f'"{t}"' for t in texts)
    return f" ({shown})" if total <= len(texts) else f" ({total} texts, among them {shown})"


def _money(minor: int, doc: PaymentDocument) -> str:
    return f"{doc.currency} {show(to_decimal(minor, doc.currency))}"


def lookup_text(doc: PaymentDocument) -> str:
    outcome = {"captured": "was captured", "refunded": "was captured, then refunded in full",
               "partially_refunded": f"was captured, then partially refunded ({_money(doc.refunded_amount_minor, doc)})",
               "declined_fraud": "was declined by the fraud check", "failed": "failed at the gateway",
               "pending": "is still pending"}.get(doc.status, doc.status)
    where = f" via {doc.gateway}" if doc.gateway and doc.status != "declined_fraud" else ""
    parts = [f"Payment {doc.payment_id}: a {doc.amount} {doc.currency} {doc.method.replace('_', ' ')} payment"
             + (f" from {doc.country}" if doc.country else "") + f" that {outcome}{where}."]
    if doc.decline_code or doc.decline_reason:
        parts.append(f"Reason: {doc.decline_reason or ''} ({doc.decline_code or 'no code'}).".replace(" (", " (", 1))
    if doc.attempts:
        tries = "; ".join(f"attempt {a.attempt} on {a.gateway}: {a.outcome}" + (f" ({a.code})" if a.code else "")
                          for a in doc.attempts)
        parts.append(f"Gateways tried: {tries}.")
    if doc.fraud_decision:
        reasons = ", ".join(f"{r.description} ({r.contribution:+.2f})" for r in doc.fraud_reasons)
        parts.append(f"Fraud check: score {doc.fraud_score:.2f}, decision {doc.fraud_decision}"
                     + (f"; main reasons: {reasons}" if reasons else "") + ".")
    if doc.routing_explanation:
        parts.append(f"Routing: {doc.routing_explanation}.")
    if doc.timeline:
        steps = ", ".join(f"{t.state.lower().replace('_', ' ')} at {t.at:%H:%M:%S.%f}"[:-3] for t in doc.timeline)
        parts.append(f"Timeline ({doc.created_at:%Y-%m-%d} UTC): {steps}.")
    if doc.latency_ms is not None:
        parts.append(f"Creation to final outcome: {doc.latency_ms:.0f} ms.")
    return " ".join(parts)


def search_text(plan, bounds: Bounds | None, found) -> str:
    """The search answer: which payments, how they were ranked; degraded search says why, never silently."""
    from smartpay_chat.domain.plan import AggregatePlan

    scope = describe_scope(AggregatePlan(metric="count", filters=plan.filters, window=plan.window,
                                         timezone=plan.timezone), bounds)
    how = ("BM25 and embeddings, fused by reciprocal rank" if found.mode == "hybrid"
           else f"BM25 only ({found.degraded_reason})")
    head = f'Payments like "{plan.text}" — {scope}; ranked by {how}'
    if not found.hits:
        return f"{head}: none of your payments match."
    ids = ", ".join(h["payment_id"] for h in found.hits)
    return f"{head}: {ids}."
