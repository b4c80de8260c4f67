"""The paraphrase suite's oracle: the expected rows of an `Expected` plan, computed in plain Python over the payment
documents (no planner, executor, SQL or windows.py); windows from the suite's hand-written table."""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from smartpay_chat.evaluation import MERCHANT

MONEY = {"volume", "net", "average_order_value", "refund_total"}
TERMINAL = {"captured", "refunded", "partially_refunded", "declined_fraud", "failed"}
APPROVED = {"captured", "refunded", "partially_refunded"}
DECLINED = {"failed", "declined_fraud"}
REFUNDED_ANY = {"refunded", "partially_refunded"}


def _label(doc, key: str, zone: ZoneInfo):
    if key == "day":
        return doc.created_at.astimezone(zone).strftime("%Y-%m-%d")
    if key == "hour":
        return doc.created_at.astimezone(zone).strftime("%Y-%m-%d %H:00")
    return getattr(doc, {"reason": "decline_code"}.get(key, key))


def _in_scope(doc, e, windows) -> bool:
    bounds = windows[e.window]
    if doc.merchant_id != MERCHANT or (bounds and not bounds[0] <= doc.created_at < bounds[1]):
        return False
    if e.statuses and doc.status not in e.statuses:
        return False
    for name, attr in (("gateways", "gateway"), ("currencies", "currency"), ("methods", "method"),
                       ("countries", "country")):
        if name in e.lists and getattr(doc, attr) not in e.lists[name]:
            return False
    if e.review and doc.fraud_decision != "review":
        return False
    if e.fell_back and not (doc.fell_back and doc.status in TERMINAL):
        return False
    a = doc.amount
    checks = {"amount_gt": a.__gt__, "amount_gte": a.__ge__, "amount_lt": a.__lt__, "amount_lte": a.__le__}
    return all(checks[k](v) for k, v in e.amounts.items())


def _places(doc) -> Decimal:
    return Decimal(1).scaleb(-doc.currency_exponent)


def _value(e, docs: list) -> Any:
    m = e.metric
    if m == "count":
        return Decimal(len(docs))
    if m in ("volume", "net", "refund_total"):
        take = {"volume": lambda d: d.amount, "net": lambda d: d.amount - d.refunded_amount,
                "refund_total": lambda d: d.refunded_amount}[m]
        return sum((take(d) for d in docs), Decimal(0)).quantize(_places(docs[0]))
    if m == "average_order_value":
        return (sum((d.amount for d in docs), Decimal(0)) / len(docs)).quantize(_places(docs[0]), ROUND_HALF_EVEN)
    if m == "latency":
        values = [d.latency_ms for d in docs]
        return float(np.percentile(values, e.percentile)) if values else None
    if m == "refund_rate":
        den = [d for d in docs if d.status in APPROVED]
        num = [d for d in den if d.status in REFUNDED_ANY]
    else:
        den = [d for d in docs if d.status in TERMINAL]
        num = [d for d in den if {"approval_rate": d.status in APPROVED,
                                  "decline_rate": d.status in DECLINED,
                                  "fraud_decline_rate": d.status == "declined_fraud",
                                  "fallback_rate": d.fell_back}[m]]
    return (Decimal(len(num)) / len(den)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN) if den else None


def oracle(e, documents: list, windows: dict) -> list[tuple[tuple[str, ...], Any]]:
    """[(group labels, value)] in the answer's order when ranked (top-N), else in label order."""
    zone = ZoneInfo(e.timezone)
    money = e.metric in MONEY
    keys = list(dict.fromkeys([*e.by, *(["currency"] if money else [])]))
    scoped = [d for d in documents if _in_scope(d, e, windows)]
    if money:
        scoped = [d for d in scoped if d.status in APPROVED]
    if e.metric == "latency":
        scoped = [d for d in scoped if d.latency_ms is not None]
    groups: dict[tuple, list] = defaultdict(list)
    for d in scoped:
        label = tuple(_label(d, k, zone) for k in keys)
        if None not in label:
            groups[tuple(str(x) for x in label)].append(d)
    rows = [(label, _value(e, g)) for label, g in groups.items()]
    if e.top is None:
        return sorted(rows)
    sign = -1 if e.order == "desc" else 1
    cur = keys.index("currency") if money else None
    rows.sort(key=lambda r: (r[0][cur] if money else "", r[1] is None, sign * (r[1] or 0), r[0]))
    kept, seen = [], defaultdict(int)
    for label, value in rows:
        bucket = label[cur] if money else None
        if seen[bucket] < e.top:
            kept.append((label, value))
            seen[bucket] += 1
    return kept
