"""Aggregate plan -> parameterised DuckDB SQL (pure). Identifiers come from whitelists, every value is a bound
parameter, and the first condition is always `merchant_id = ?` bound from the caller, which no plan field
can reach."""

from __future__ import annotations

from typing import Any

from smartpay_chat.domain.aggregates import CONDITION_STATUSES, DETAIL_TEXTS, Aggregate, aggregates
from smartpay_chat.domain.plan import MONEY_METRICS, AggregatePlan
from smartpay_chat.domain.windows import Bounds

TABLE = "payments"
_COLUMNS = {"gateway": "gateway", "status": "status", "reason": "decline_code", "currency": "currency",
            "method": "method", "country": "country"}
_FORMATS = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}


def _condition(name: str) -> str | None:
    if name == "fell_back":
        return "fell_back AND status <> 'pending'"
    statuses = CONDITION_STATUSES[name]
    return None if statuses is None else "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


def _aggregate(agg: Aggregate) -> str:
    cond = _condition(agg.condition)
    where = f" FILTER (WHERE {cond})" if cond else ""
    if agg.op == "count":
        return f"count({agg.field or '*'}){where}"
    if agg.op == "sum":
        return f"coalesce(sum({agg.field}){where}, 0)"
    return f"quantile_cont({agg.field}, {agg.percentile / 100!r}){where}"  # linear interpolation (numpy default)


def where_clause(merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> tuple[list[str], list[Any]]:
    where, params = ["merchant_id = ?"], [merchant_id]
    f = plan.filters
    for column, values in (("status", f.statuses), ("gateway", f.gateways), ("currency", f.currencies),
                           ("method", f.methods), ("country", f.countries), ("fraud_decision", f.fraud_decisions)):
        if values:
            where.append(f"{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)
    if f.fell_back is not None:
        where.append(_condition("fell_back") if f.fell_back else "NOT (fell_back AND status <> 'pending')")
    for name, op in (("amount_gte", ">="), ("amount_gt", ">"), ("amount_lte", "<="), ("amount_lt", "<")):
        if getattr(f, name) is not None:
            where.append(f"amount {op} ?")
            params.append(getattr(f, name))
    if bounds is not None:
        where += ["created_at >= ?", "created_at < ?"]
        params += [bounds.start, bounds.end]
    for key in plan.group_keys:  # a group exists only where the label does (no gateway -> not "by gateway")
        if key in _COLUMNS:
            where.append(f"{_COLUMNS[key]} IS NOT NULL")
    if plan.metric == "latency":
        where.append("latency_ms IS NOT NULL")
    if plan.metric in MONEY_METRICS:  # money is summed over approved payments only: they are the scope
        where.append(_condition("approved"))
    return where, params


def build(merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> dict[str, Any]:
    """{'sql', 'params', 'citations_sql', 'names'}: the aggregate query and the citation query share WHERE."""
    select, select_params, names = [], [], []
    for key in plan.group_keys:
        if key in _COLUMNS:
            select.append(f"{_COLUMNS[key]} AS {key}")
        else:
            select.append(f"strftime(timezone(?, created_at), '{_FORMATS[key]}') AS {key}")
            select_params.append(plan.timezone)
        names.append(key)
    if "reason" in plan.group_keys:  # the gateways' texts for the code
        select += [f"list_sort(list_distinct(list(decline_reason)))[1:{DETAIL_TEXTS}] AS detail",
                   "count(DISTINCT decline_reason) AS detail_texts"]
        names += ["detail", "detail_texts"]
    for agg in aggregates(plan):
        select.append(f"{_aggregate(agg)} AS {agg.name}")
        names.append(agg.name)
    where, where_params = where_clause(merchant_id, plan, bounds)
    group = " GROUP BY ALL" if plan.group_keys else ""
    sql = f"SELECT {', '.join(select)} FROM {TABLE} WHERE {' AND '.join(where)}{group}"
    citations = (f"SELECT payment_id, count(*) OVER () AS matched FROM {TABLE} WHERE {' AND '.join(where)} "
                 "ORDER BY created_at DESC, payment_id LIMIT ?")
    return {"sql": sql, "params": select_params + where_params, "citations_sql": citations,
            "citations_params": where_params, "names": names}
