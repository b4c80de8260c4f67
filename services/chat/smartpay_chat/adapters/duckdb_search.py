"""Hybrid search on the embedded index (pure SQL builders). DuckDB's FTS extension downloads at run time and
cannot load offline, so BM25 is written in SQL: Lucene's formula (k1 = 1.2, b = 0.75,
idf = ln(1 + (N - df + 0.5) / (df + 0.5))) over the merchant's payments in scope, tokens = runs of [a-z0-9]
in the lower-cased `search_text`. The statistics (N, df, average length) are the merchant's scope only, so no
other merchant's documents influence a score. A unit test checks the ranking against bm25s (Lucene variant).
Vectors live in `payment_vectors` (cosine = `array_cosine_similarity`, brute force over the scope)."""

from __future__ import annotations

import re
from typing import Any

from smartpay_chat.adapters import duckdb_plan
from smartpay_chat.domain.plan import AggregatePlan, SearchPlan
from smartpay_chat.domain.windows import Bounds

K1, B = 1.2, 0.75
VECTOR_DIM = 384
VECTORS = "payment_vectors"
TOKEN = r"[a-z0-9]+"
MAX_TERMS = 32


def terms(text: str) -> list[str]:
    """Query terms, in the same tokenization as the documents (deduplicated, first occurrence order)."""
    return list(dict.fromkeys(re.findall(TOKEN, text.lower())))[:MAX_TERMS]


def scope(merchant_id: str, plan: SearchPlan, bounds: Bounds | None) -> tuple[str, list[Any]]:
    """The WHERE of the payments a search may return: the caller's merchant first (bound), then the plan's
    filters and window, exactly as an aggregate's."""
    where, params = duckdb_plan.where_clause(merchant_id, AggregatePlan(metric="count", filters=plan.filters),
                                             bounds)
    return " AND ".join(where), params


def bm25_sql(merchant_id: str, plan: SearchPlan, bounds: Bounds | None, depth: int) -> tuple[str, list[Any]]:
    where, params = scope(merchant_id, plan, bounds)
    words = terms(plan.text) or ["\x00"]  # no term: an empty ranking
    sql = f"""WITH scope AS (
  SELECT payment_id, regexp_extract_all(lower(coalesce(search_text, '')), '{TOKEN}') AS toks
  FROM {duckdb_plan.TABLE} WHERE {where}),
stats AS (SELECT count(*) AS n, avg(len(toks)) AS avgdl FROM scope),
tokens AS (SELECT payment_id, unnest(toks) AS tok FROM scope),
tf AS (SELECT payment_id, tok, count(*) AS tf FROM tokens WHERE tok IN ({', '.join('?' for _ in words)}) GROUP BY ALL),
df AS (SELECT tok, count(*) AS df FROM tf GROUP BY tok)
SELECT tf.payment_id, sum(ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5)) * tf.tf
       / (tf.tf + {K1} * (1 - {B} + {B} * len(scope.toks) / stats.avgdl))) AS score
FROM tf JOIN df USING (tok) JOIN scope USING (payment_id), stats
GROUP BY tf.payment_id ORDER BY score DESC, tf.payment_id LIMIT ?"""
    return sql, [*params, *words, depth]


def vector_sql(merchant_id: str, plan: SearchPlan, bounds: Bounds | None, depth: int,
               vector: list[float]) -> tuple[str, list[Any]]:
    where, params = scope(merchant_id, plan, bounds)
    sql = (f"SELECT v.payment_id, array_cosine_similarity(v.vector, ?::FLOAT[{VECTOR_DIM}]) AS similarity "
           f"FROM {VECTORS} v WHERE v.merchant_id = ? AND v.payment_id IN "
           f"(SELECT payment_id FROM {duckdb_plan.TABLE} WHERE {where}) "
           "ORDER BY similarity DESC, v.payment_id LIMIT ?")
    return sql, [vector, merchant_id, *params, depth]


def count_sql(merchant_id: str, plan: SearchPlan, bounds: Bounds | None) -> tuple[str, list[Any]]:
    where, params = scope(merchant_id, plan, bounds)
    return f"SELECT count(*) FROM {duckdb_plan.TABLE} WHERE {where}", params
