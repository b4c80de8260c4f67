"""Aggregate plan -> ONE parameterised DuckDB statement per answer (pure). Identifiers come from whitelists, every
value is a bound parameter, and the first condition is always `merchant_id = ?` bound from the caller, which no plan
field can reach.

The statement is the aggregate itself, with two more columns per group: how many payments the group holds and
its newest `citations` payments; `result` sums the first and merges the second into the answer's (the overall
newest are among each group's newest). So one scan answers both, where a second statement (the citations, a
window count over every matched row) planned and scanned everything again: planning a query over the reader's
views costs about what running it does (issue #17; docs/chat.md "Benchmarks")."""

from __future__ import annotations

import heapq
from typing import Any

from smartpay_chat.domain.aggregates import CONDITION_STATUSES, DETAIL_TEXTS, Aggregate, aggregates
from smartpay_chat.domain.plan import MONEY_METRICS, AggregatePlan
from smartpay_chat.domain.windows import Bounds

TABLE = "payments"
_COLUMNS = {"gateway": "gateway", "status": "status", "reason": "decline_code", "currency": "currency",
            "method": "method", "country": "country"}
_FORMATS = {"day": "%Y-%m-%d", "hour": "%Y-%m-%d %H:00"}
# Every column an aggregate statement reads (`where_clause`, `build`): a reader may serve them from a narrower view.
FACT_COLUMNS = ("payment_id", "merchant_id", "status", "gateway", "decline_code", "decline_reason", "currency",
                "method", "country", "fraud_decision", "fell_back", "amount", "amount_minor", "refunded_amount_minor",
                "latency_ms", "created_at")
# The per-group columns `result` folds away: the group's count, its newest payments (ids; the exact form: (k, id)
# structs) and, in the fast form, their keys k = -created_at in microseconds.
MATCHED, NEWEST, NEWEST_KEYS = "matched_payments", "newest_payments", "newest_keys"


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


def build(merchant_id: str, plan: AggregatePlan, bounds: Bounds | None, citations: int,
          relation: str = TABLE, *, exact_citations: bool = False) -> dict[str, Any]:
    """{'sql', 'params', 'names', 'tail'}: the one statement of an aggregate answer over `relation` (the payments
    table, or a reader's view of FACT_COLUMNS). Each row: the group labels and aggregates (`names`), then the
    `tail` per-group columns: MATCHED, the group's count, and its newest payments in the citations' order
    (created_at DESC, payment_id), k = -created_at in microseconds:

    - fast form (default): NEWEST = arg_min(payment_id, k, citations + 1) and NEWEST_KEYS = min(k, citations + 1),
      the group's citations + 1 smallest keys and their ids in key order. No struct is built per row: the exact
      form's min(struct_pack(...)) was most of a month-wide answer's SQL (100,000 payments, idle host: 4.9 ms
      against 1.4 ms without citations). Among payments created in the same microsecond an id's place in those
      lists is arbitrary, so `result` says when that reaches the cut (then run the exact form);
    - exact form: NEWEST = min(struct_pack(k, id), citations), ties broken by the id."""
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
    tail = [f"count(*) AS {MATCHED}"]
    if exact_citations:
        tail.append(f"min(struct_pack(k := -epoch_us(created_at), id := payment_id), {int(citations)}) AS {NEWEST}")
    else:
        tail += [f"arg_min(payment_id, -epoch_us(created_at), {int(citations) + 1}) AS {NEWEST}",
                 f"min(-epoch_us(created_at), {int(citations) + 1}) AS {NEWEST_KEYS}"]
    where, where_params = where_clause(merchant_id, plan, bounds)
    group = " GROUP BY ALL" if plan.group_keys else ""
    sql = f"SELECT {', '.join(select + tail)} FROM {relation} WHERE {' AND '.join(where)}{group}"
    return {"sql": sql, "params": select_params + where_params, "names": names, "tail": len(tail)}


def result(plan: AggregatePlan, names: list[str], rows: list[tuple], citations: int, tail: int = 2
           ) -> tuple[list[dict[str, Any]], int, list[str] | None]:
    """(records, matched, cited) from `build`'s rows (`tail`: its per-group columns): the records without them
    (none for an ungrouped aggregate over nothing, like an empty group-by), how many payments matched, and the
    ids of the `citations` newest of them (created_at DESC, payment_id: the smallest (k, id)). `cited` is None
    when the fast form cannot tell them: in a group, the citations-th and the next payment were created in the
    same microsecond (which of them is in is the id's call): run the exact form."""
    matched = sum(int(row[-tail]) for row in rows)
    records = [dict(zip(names, row[:-tail], strict=True)) for row in rows]
    if not plan.group_keys and not matched:
        records = []
    if tail == 2:  # exact form
        entries = [(entry["k"], entry["id"]) for row in rows for entry in row[-1] or ()]
    else:
        entries = []
        for row in rows:
            ids, keys = row[-2] or [], row[-1] or []
            if len(keys) > citations and citations > 0 and keys[citations - 1] == keys[citations]:
                return records, matched, None
            # The first `citations`: every payment created before the cut is among them, so equal keys within
            # them are all there and (k, id) orders them as the exact form does.
            entries += zip(keys[:citations], ids[:citations], strict=True)
    return records, matched, [payment_id for _, payment_id in heapq.nsmallest(citations, entries)]
