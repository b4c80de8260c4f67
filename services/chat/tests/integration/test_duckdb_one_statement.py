"""One DuckDB statement per aggregate answer (issue #17, speed): the executor's single statement (each group's
count and newest payments folded into the answer) returns exactly what the two statements it replaced returned
(the aggregate, then the citations with a window count), for every plan the paraphrase suite's questions make,
on the plain table and on a reader's snapshot (a base with a delta over it, read through the narrow
`payment_facts` view). The reference below is the two-statement path as it was, kept here verbatim."""

import dataclasses
from decimal import Decimal

import pytest

from smartpay_chat import evaluation as ev
from smartpay_chat import paraphrase_suite as ps
from smartpay_chat.adapters import duckdb_plan, duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.domain.aggregates import DETAIL_TEXTS, aggregates
from smartpay_chat.domain.document import build_document
from smartpay_chat.domain.plan import AggregatePlan
from smartpay_chat.service_layer.chat import Chat, InMemorySessions, ask
from smartpay_chat.service_layer.planner import DeterministicPlanner
from smartpay_chat.service_layer.ports import CITATIONS
from smartpay_chat.synthetic import snapshots

pytestmark = pytest.mark.integration


def _two_statements(db, merchant_id, plan, bounds):
    """The executor before the fusion: the aggregate, then the newest CITATIONS ids with a window count."""
    select, select_params, names = [], [], []
    for key in plan.group_keys:
        if key in duckdb_plan._COLUMNS:
            select.append(f"{duckdb_plan._COLUMNS[key]} AS {key}")
        else:
            select.append(f"strftime(timezone(?, created_at), '{duckdb_plan._FORMATS[key]}') AS {key}")
            select_params.append(plan.timezone)
        names.append(key)
    if "reason" in plan.group_keys:
        select += [f"list_sort(list_distinct(list(decline_reason)))[1:{DETAIL_TEXTS}] AS detail",
                   "count(DISTINCT decline_reason) AS detail_texts"]
        names += ["detail", "detail_texts"]
    for agg in aggregates(plan):
        select.append(f"{duckdb_plan._aggregate(agg)} AS {agg.name}")
        names.append(agg.name)
    where, where_params = duckdb_plan.where_clause(merchant_id, plan, bounds)
    group = " GROUP BY ALL" if plan.group_keys else ""
    sql = f"SELECT {', '.join(select)} FROM payments WHERE {' AND '.join(where)}{group}"
    citations = (f"SELECT payment_id, count(*) OVER () AS matched FROM payments WHERE {' AND '.join(where)} "
                 "ORDER BY created_at DESC, payment_id LIMIT ?")
    rows = db.execute(sql, select_params + where_params).fetchall()
    cited = db.execute(citations, [*where_params, CITATIONS]).fetchall()
    records = [dict(zip(names, row, strict=True)) for row in rows]
    if not plan.group_keys and not cited:
        records = []
    return records, int(cited[0][1]) if cited else 0, [r[0] for r in cited]


class Recording:
    """The index `ask` talks to, recording the (plan, bounds) of every aggregate it executes."""

    def __init__(self, index):
        self.index, self.name, self.executed = index, index.name, []

    def execute(self, merchant_id, plan, bounds):
        self.executed.append((plan, bounds))
        return self.index.execute(merchant_id, plan, bounds)

    def get(self, merchant_id, payment_id):
        return self.index.get(merchant_id, payment_id)

    def search(self, merchant_id, plan, bounds):
        return self.index.search(merchant_id, plan, bounds)


def _same(fused, reference):
    """Records compared as a multiset (neither statement orders its groups; `aggregates.rank` does), with their
    types (an int is not a Decimal); the count and the citations exactly, in order."""
    def rows(records):
        return sorted(repr(sorted((k, type(v).__name__, v) for k, v in r.items())) for r in records)
    return (rows(fused.rows), fused.matched, fused.citations) == (rows(reference[0]), reference[1], reference[2])


@pytest.fixture(scope="module")
def suite_plans():
    """Every distinct aggregate plan (with its resolved window) that the suite's questions make."""
    docs = ev.documents(3000)
    table = DuckDBPaymentIndex(":memory:")
    table.upsert_many(docs)
    recording = Recording(table)
    chat = Chat(DeterministicPlanner(), InMemorySessions(), lambda: ev.NOW)
    for part in ps.PARTS:
        ps.run(part, docs, lambda q, s: ask(chat, recording, ev.MERCHANT, q, s))
    plans = list({(p.model_dump_json(), repr(b)): (p, b) for p, b in recording.executed}.values())
    yield docs, table, plans
    table.close()


def test_the_suite_plans_cover_every_metric_and_grouping(suite_plans):
    _, _, plans = suite_plans
    assert len(plans) >= 1000  # 1,276 distinct (plan, window) pairs on 2026-12-06
    assert {p.metric for p, _ in plans} == set(AggregatePlan.model_fields["metric"].annotation.__args__)
    assert {k for p, _ in plans for k in p.group_keys} >= {"gateway", "status", "reason", "currency", "method",
                                                         "country", "day", "hour"}
    assert any(b is None for _, b in plans) and any(not p.group_keys for p, _ in plans)


def test_one_statement_answers_as_the_two_did_on_the_table(suite_plans):
    _, table, plans = suite_plans
    differ = [(p.model_dump_json(), b) for p, b in plans
              if not _same(table.execute(ev.MERCHANT, p, b), _two_statements(table._db, ev.MERCHANT, p, b))]
    assert differ == []
    empty = [p for p, b in plans if table.execute("m_nobody", p, b).matched == 0]
    assert len(empty) == len(plans)  # and for a merchant with nothing: no rows, no citations, like before
    assert all(table.execute("m_nobody", p, b).rows == [] for p, b in plans if not p.group_keys)


def test_one_statement_answers_as_the_two_did_on_a_snapshot_with_a_delta(suite_plans, tmp_path):
    """The reader's path: base + delta views, the aggregate over `payment_facts`. The delta changes rows of the
    base (status, amount, gateway, time) and adds new ones; the reference reads the writer's merged table."""
    docs, _, plans = suite_plans
    path = tmp_path / "payments.duckdb"
    writer = DuckDBPaymentIndex(path)
    writer.upsert_many(docs)
    writer.checkpoint()
    writer.close()
    manifest = duckdb_shared.publish(path)
    changed = [dataclasses.replace(d, version=d.version + 1, status="failed", gateway="solana",
                                   amount_minor=d.amount_minor + 1, amount=d.amount + Decimal(1),
                                   created_at=ev.NOW.replace(hour=1)) for d in docs[:120:3]]
    added = ev.documents(60, seed=99)
    writer = DuckDBPaymentIndex(path)
    writer.upsert_batch(changed + added)
    keys = {(d.merchant_id, d.payment_id) for d in changed + added}
    duckdb_shared.publish_delta(path, writer, manifest, keys)
    snapshot = duckdb_shared.open_snapshot(path)
    try:
        assert snapshot.delta is not None
        facts = ", ".join(duckdb_plan.FACT_COLUMNS)
        narrow = sorted(snapshot.connection.execute(f"SELECT {facts} FROM {duckdb_shared.FACTS}").fetchall())
        assert narrow == sorted(snapshot.connection.execute(f"SELECT {facts} FROM payments").fetchall())
        assert len(narrow) == len({(d.merchant_id, d.payment_id) for d in docs + added})
        differ = [(p.model_dump_json(), b) for p, b in plans
                  if not _same(snapshot.index.execute(ev.MERCHANT, p, b),
                               _two_statements(writer._db, ev.MERCHANT, p, b))]
        assert differ == []
    finally:
        snapshot.close()
        writer.close()


def test_the_newest_citations_break_ties_on_the_payment_id_across_groups(chat_now):
    """25 payments at the same instant over three gateways: the citations are the 10 smallest ids, in order,
    though each group holds some of them (the merge of the groups' newest is by (time, id), not by group)."""
    (merchant, _, snapshot), = snapshots(1, now=chat_now, seed=3, merchants=("m_acme",))
    base = build_document(merchant, "pay_TIE0000000", snapshot)
    gateways = ("stripe", "amazon_pay", "solana")
    docs = [dataclasses.replace(base, payment_id=f"pay_TIE{(7 * i) % 25:07d}", gateway=gateways[i % 3],
                                created_at=chat_now) for i in range(25)]
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)
    for plan in (AggregatePlan(metric="count", group_by=("gateway",)), AggregatePlan(metric="count")):
        fused = index.execute("m_acme", plan, None)
        assert fused.citations == [f"pay_TIE{i:07d}" for i in range(CITATIONS)]
        assert fused.matched == 25
        assert _same(fused, _two_statements(index._db, "m_acme", plan, None))
        # Ungrouped, the 25 tied payments straddle the cut: the exact form answered. By gateway, each group holds
        # 8 or 9 (under the cut): the fast form is exact there.
        assert ("struct_pack" in fused.query["sql"]) == (not plan.group_keys)
    index.close()


def test_the_fast_citations_are_used_when_no_tie_reaches_the_cut_and_agree_with_the_exact_form(chat_now):
    """Ties among the newest but not at the 10th / 11th payment of a group: the fast form (ids and keys, no struct
    per row) answers alone, and its citations are the exact form's, ties ordered by the id."""
    from datetime import timedelta

    (merchant, _, snapshot), = snapshots(1, now=chat_now, seed=3, merchants=("m_acme",))
    base = build_document(merchant, "pay_FAST000000", snapshot)
    # 4 payments in the same microsecond at the top, then one every second, over two gateways.
    docs = [dataclasses.replace(base, payment_id=f"pay_FAST{(5 * i) % 30:06d}", gateway=("stripe", "solana")[i % 2],
                                created_at=chat_now - timedelta(seconds=max(0, i - 3))) for i in range(30)]
    index = DuckDBPaymentIndex(":memory:")
    index.upsert_many(docs)
    for plan in (AggregatePlan(metric="count", group_by=("gateway",)), AggregatePlan(metric="count")):
        fused = index.execute("m_acme", plan, None)
        assert "arg_min" in fused.query["sql"] and "struct_pack" not in fused.query["sql"]
        assert _same(fused, _two_statements(index._db, "m_acme", plan, None))
        exact = duckdb_plan.build("m_acme", plan, None, CITATIONS, exact_citations=True)
        rows = index._db.execute(exact["sql"], exact["params"]).fetchall()
        assert duckdb_plan.result(plan, exact["names"], rows, CITATIONS, exact["tail"])[2] == fused.citations
        assert fused.citations[:4] == sorted(d.payment_id for d in docs[:4])  # the tie, by id
    index.close()
