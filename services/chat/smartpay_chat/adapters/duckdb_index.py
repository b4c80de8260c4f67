"""Embedded index on DuckDB (a file under .local/ by default). One writer process: DuckDB locks the file."""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
import duckdb

from smartpay_chat.domain import batch_writes
from smartpay_chat.domain.batch_writes import key_of
from smartpay_chat.domain.currency import MAX_EXPONENT
from smartpay_chat.domain.document import STEPS, PaymentDocument
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.adapters import duckdb_plan, duckdb_search
from smartpay_chat.domain import search as hybrid
from smartpay_chat.domain.plan import AggregatePlan, SearchPlan
from smartpay_chat.domain.summary import Summary, SummaryRow
from smartpay_chat.domain.windows import Bounds
from smartpay_chat.service_layer.ports import (CITATIONS, Embedder, PaymentIndex, QueryResult, SearchResult,
                                               UpsertResult)

TABLE = "payments"
_DECIMAL = f"DECIMAL(38,{MAX_EXPONENT}) NOT NULL"  # every exponent in use, exact
_COLUMNS: dict[str, str] = {
    "payment_id": "VARCHAR NOT NULL", "merchant_id": "VARCHAR NOT NULL", "version": "BIGINT NOT NULL",
    "status": "VARCHAR NOT NULL", "saga_status": "VARCHAR NOT NULL", "approved": "BOOLEAN NOT NULL",
    "decline_stage": "VARCHAR", "amount_minor": "BIGINT NOT NULL", "amount": _DECIMAL,
    "currency": "VARCHAR NOT NULL", "currency_exponent": "TINYINT NOT NULL",
    "captured_amount_minor": "BIGINT NOT NULL", "captured_amount": _DECIMAL,
    "refunded_amount_minor": "BIGINT NOT NULL", "refunded_amount": _DECIMAL,
    "method": "VARCHAR NOT NULL", "card_last4": "VARCHAR", "country": "VARCHAR", "merchant_category": "VARCHAR",
    "customer_id": "VARCHAR NOT NULL", "gateway": "VARCHAR", "first_gateway": "VARCHAR",
    "gateways_tried": "VARCHAR[]", "attempts_count": "INTEGER NOT NULL", "fallbacks": "INTEGER NOT NULL",
    "fell_back": "BOOLEAN NOT NULL",
    "attempts": "STRUCT(attempt INTEGER, gateway VARCHAR, outcome VARCHAR, code VARCHAR, latency_ms DOUBLE)[]",
    "failure_codes": "VARCHAR[]", "decline_code": "VARCHAR", "decline_reason": "VARCHAR",
    "fraud_score": "DOUBLE", "fraud_decision": "VARCHAR",
    "fraud_reasons": "STRUCT(feature VARCHAR, contribution DOUBLE, description VARCHAR)[]",
    "routing_explanation": "VARCHAR", "created_at": "TIMESTAMPTZ NOT NULL", "completed_at": "TIMESTAMPTZ",
    "latency_ms": "DOUBLE", **{f"{step}_at": "TIMESTAMPTZ" for step in STEPS},
    "timeline": 'STRUCT(state VARCHAR, "at" TIMESTAMPTZ, detail VARCHAR)[]', "search_text": "VARCHAR",
}
_NAMES = list(_COLUMNS)
_UPDATABLE = [c for c in _NAMES if c not in ("payment_id", "merchant_id")]
_UPSERT = (
    f"INSERT INTO {TABLE} ({', '.join(_NAMES)}) VALUES ({', '.join('?' for _ in _NAMES)}) "
    f"ON CONFLICT (merchant_id, payment_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _UPDATABLE)} "
    # The version guard: only a strictly newer version replaces a row.
    f"WHERE {TABLE}.version < excluded.version "
    "RETURNING version"
)


# The stored version of a batch's keys: the keys as one list parameter each (unnest zips them), joined to the
# table on its primary key.
_STORED_VERSIONS = (f"SELECT p.merchant_id, p.payment_id, p.version FROM {TABLE} p JOIN "
                    "(SELECT unnest(?::VARCHAR[]) AS merchant_id, unnest(?::VARCHAR[]) AS payment_id) k "
                    "USING (merchant_id, payment_id)")
_VECTOR_ROWS = ("SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                f"unnest(?::FLOAT[{duckdb_search.VECTOR_DIM}][])")
# A plain INSERT costs a third of INSERT OR REPLACE in DuckDB (0.59 vs 1.71 ms a row on a 20,000-row table): the
# keys that hold no vector yet (a payment's first vector: its terminal document) take it, the others are replaced.
_INSERT_VECTORS = f"INSERT INTO {duckdb_search.VECTORS} " + _VECTOR_ROWS
_REPLACE_VECTORS = f"INSERT OR REPLACE INTO {duckdb_search.VECTORS} " + _VECTOR_ROWS
_STORED_VECTORS = (f"SELECT v.merchant_id, v.payment_id FROM {duckdb_search.VECTORS} v JOIN "
                   "(SELECT unnest(?::VARCHAR[]) AS merchant_id, unnest(?::VARCHAR[]) AS payment_id) k "
                   "USING (merchant_id, payment_id)")


def _row(document: PaymentDocument) -> list:
    record = document.to_record()
    return [record[c] for c in _NAMES]


_RETURNING = " RETURNING merchant_id, payment_id, version"
_STORED_VERSION = f"SELECT merchant_id, payment_id, version FROM {TABLE} WHERE merchant_id = ? AND payment_id = ?"
_UPDATE_ROW = (f"UPDATE {TABLE} SET {', '.join(f'{c} = ?' for c in _UPDATABLE)} "
               "WHERE merchant_id = ? AND payment_id = ? AND version < ?" + _RETURNING)  # the version guard


def _values(count: int) -> str:
    row = "(" + ", ".join("?" for _ in _NAMES) + ")"
    return f"INSERT INTO {TABLE} ({', '.join(_NAMES)}) VALUES {', '.join(row for _ in range(count))}"


@cache
def _insert_rows(count: int) -> str:
    """A plain insert of `count` new rows, returning what it wrote."""
    return _values(count) + _RETURNING


@cache
def _upsert_rows(count: int) -> str:
    """The guarded upsert of `count` rows in one VALUES list, returning what it wrote."""
    return _values(count) + " ON CONFLICT" + _UPSERT.split("ON CONFLICT")[1].replace(" RETURNING version", _RETURNING)


_VECTORS_DDL = (f"CREATE TABLE IF NOT EXISTS {duckdb_search.VECTORS} (merchant_id VARCHAR NOT NULL, "
                f"payment_id VARCHAR NOT NULL, model VARCHAR NOT NULL, vector FLOAT[{duckdb_search.VECTOR_DIM}] "
                "NOT NULL, PRIMARY KEY (merchant_id, payment_id))")


class DuckDBPaymentIndex(PaymentIndex):
    def __init__(self, path: Path | str, *, name: str = TABLE, read_only: bool = False,
                 embedder: Embedder | None = None, no_embedder_reason: str | None = None,
                 connection: duckdb.DuckDBPyConnection | None = None, facts: str = TABLE,
                 threads: int | None = None):
        """`connection`: query an open connection instead of opening `path` (a reader's published snapshot,
        whose `payments` and `payment_vectors` are views; see duckdb_shared). Closing this closes it.
        `facts`: the relation aggregates read (the snapshot's view of duckdb_plan.FACT_COLUMNS: cheaper to plan).
        `threads`: DuckDB's worker threads for this connection (None: DuckDB's default, one per core)."""
        self.name = name
        self._facts = facts
        self._embedder = embedder
        self._no_embedder = no_embedder_reason or "no embedding model configured"
        self._path = str(path)
        if connection is not None:
            self._db = connection
        else:
            if self._path != ":memory:":
                Path(self._path).parent.mkdir(parents=True, exist_ok=True)
            if read_only and not Path(self._path).exists():
                raise IndexUnavailable(f"the embedded index {self._path} does not exist yet (nothing indexed)")
            try:
                self._db = duckdb.connect(self._path, read_only=read_only)
            except duckdb.IOException as e:  # another process holds the write lock
                raise IndexUnavailable(f"cannot open the embedded index at {self._path}: {e}") from e
        self._lock = threading.Lock()
        self._deferred_vectors: list[PaymentDocument] = []
        with self._lock:
            self._db.execute("SET TimeZone = 'UTC'")
            self._db.execute("SET enable_progress_bar = false")  # the CLI draws its own
            if threads is not None:
                self._db.execute(f"SET threads = {int(threads)}")
            if read_only:
                return
            columns = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
            # The merchant is part of the key: one merchant's write can never replace another's row.
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({columns}, PRIMARY KEY (merchant_id, payment_id))")
            self._db.execute(_VECTORS_DDL)

    def _vectors(self, documents: list[PaymentDocument]) -> list[list]:
        """The vector rows of the documents that have something to embed: a pending payment's document has no
        text yet (its embedding is the empty string's, the same for every payment, and it matches nothing), so it
        gets none; its terminal document, which replaces it, does."""
        documents = [d for d in documents if d.embedding_text]
        if self._embedder is None or not documents:
            return []
        vectors = self._embedder.embed([d.embedding_text for d in documents])
        return [[d.merchant_id, d.payment_id, self._embedder.model_id, v] for d, v in zip(documents, vectors,
                                                                                          strict=True)]

    def upsert(self, document: PaymentDocument, *, defer_vector: bool = False) -> UpsertResult:
        """`defer_vector`: write the row now and the embedding at `write_deferred_vectors` (the indexer does
        it at the end of its batch, after `payment.indexed` is out: the model's 10-25 ms per new text stays
        off the saga's path; readers see both at once, in the copy published after the batch)."""
        return self.upsert_batch([document], defer_vector=defer_vector)[0]

    def upsert_batch(self, documents: Sequence[PaymentDocument], *,
                     defer_vector: bool = False) -> list[UpsertResult]:
        """Every document's write in one transaction: one read of the stored versions, then the highest version
        of each (merchant, payment) in at most two statements (`_write_rows`), the version guard in the SQL. Each
        document gets the outcome it would have had written alone, in order (domain/batch_writes.py): the latest
        version wins, a repeated version is a duplicate, an older one stale."""
        if not documents:
            return []
        keys = list(dict.fromkeys(key_of(d) for d in documents))
        with self._lock:
            with transaction(self._db):
                stored = self._stored_versions(keys)
                decided = batch_writes.plan(documents, stored)
                if decided.rows:
                    written = self._write_rows(decided.rows, stored)
                    expected = {(*key_of(d), d.version) for d in decided.rows}
                    if written != expected:  # the version guard disagreed with the read: nothing is written
                        raise RuntimeError(f"the index changed under the batch: wrote {sorted(written)}, "
                                           f"expected {sorted(expected)}")
                    if not defer_vector:
                        self._write_vectors(self._vectors(decided.rows))
            if defer_vector:  # inside the lock: concurrent invocations share the list
                self._deferred_vectors.extend(decided.vectors)
        return [UpsertResult(d.outcome, self.name, d.stored_version) for d in decided.decisions]

    def _stored_versions(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The stored version of each key the index holds (the caller holds the lock, in a transaction). Either
        form scans the table (DuckDB plans no index scan on the two-column key): one key by equality, more in
        one hash join."""
        if len(keys) == 1:
            rows = self._db.execute(_STORED_VERSION, list(keys[0])).fetchall()
        else:
            rows = self._db.execute(_STORED_VERSIONS, [[m for m, _ in keys], [p for _, p in keys]]).fetchall()
        return {(m, p): v for m, p, v in rows}

    def _write_rows(self, documents: list[PaymentDocument],
                    stored: dict[tuple[str, str], int]) -> set[tuple[str, str, int]]:
        """The rows (one per key) in at most two statements, by what the read found: a plain INSERT ... VALUES of
        the new keys (the primary key refuses one that appeared meanwhile), and the stored keys' updates guarded by
        the version: one UPDATE for a single row, else one INSERT ... ON CONFLICT DO UPDATE (a plain insert or
        update costs half the upsert's CPU). Returns the (merchant, payment, version) written."""
        new = [d for d in documents if key_of(d) not in stored]
        old = [d for d in documents if key_of(d) in stored]
        written: set[tuple[str, str, int]] = set()
        if new:
            params = [value for d in new for value in _row(d)]
            written.update(self._db.execute(_insert_rows(len(new)), params).fetchall())
        if len(old) == 1:
            record = old[0].to_record()
            params = [record[c] for c in _UPDATABLE] + [old[0].merchant_id, old[0].payment_id, old[0].version]
            written.update(self._db.execute(_UPDATE_ROW, params).fetchall())
        elif old:
            params = [value for d in old for value in _row(d)]
            written.update(self._db.execute(_upsert_rows(len(old)), params).fetchall())
        return written

    def _write_vectors(self, rows: list[list], *, own_transaction: bool = False) -> None:
        """The vectors (one per key; the caller holds the lock): one read of which keys hold a vector already, a
        plain INSERT of the others, an INSERT OR REPLACE of those; `own_transaction`: in a transaction of their
        own, else in the caller's."""
        if not rows:
            return
        with transaction(self._db) if own_transaction else nullcontext():
            stored = set(self._db.execute(_STORED_VECTORS, [[r[0] for r in rows], [r[1] for r in rows]]).fetchall())
            for sql, part in ((_INSERT_VECTORS, [r for r in rows if (r[0], r[1]) not in stored]),
                              (_REPLACE_VECTORS, [r for r in rows if (r[0], r[1]) in stored])):
                if part:
                    self._db.execute(sql, [list(column) for column in zip(*part, strict=True)])

    def upsert_many(self, documents: Iterable[PaymentDocument], *, table: str = TABLE) -> int:
        """Bulk load (reindex, benchmarks): one INSERT ... SELECT from an NDJSON file with the table's types,
        the same version guard as `upsert`; the highest version per key wins inside the batch too.
        Returns how many rows were written. No `payment.indexed` is implied: the caller is not the saga."""
        latest: dict[tuple[str, str], PaymentDocument] = {}
        for doc in documents:
            key = (doc.merchant_id, doc.payment_id)
            if key not in latest or latest[key].version < doc.version:
                latest[key] = doc
        if not latest:
            return 0
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as handle:
            for doc in latest.values():
                handle.write(json.dumps(doc.to_record(), default=_json_default) + "\n")
        columns = "{" + ", ".join(f"'{n}': '{t.replace(' NOT NULL', '')}'" for n, t in _COLUMNS.items()) + "}"
        insert = _UPSERT.split(" VALUES")[0] + f" SELECT {', '.join(_NAMES)} FROM read_json(?, columns = {columns}, " \
            "format = 'newline_delimited') ON CONFLICT" + _UPSERT.split("ON CONFLICT")[1]
        insert = insert.replace(f"INTO {TABLE} ", f"INTO {table} ").replace(f"WHERE {TABLE}.", f"WHERE {table}.")
        try:
            with self._lock:
                written = len(self._db.execute(insert, [handle.name]).fetchall())
        finally:
            Path(handle.name).unlink(missing_ok=True)
        self._bulk_vectors(list(latest.values()))
        return written

    def _bulk_vectors(self, documents: list[PaymentDocument]) -> None:
        """Vectors of a bulk load, through an NDJSON file as the documents (cached per text by the embedder)."""
        rows = self._vectors(documents)
        if not rows:
            return
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as handle:
            for merchant, payment, model, vector in rows:
                handle.write(json.dumps({"merchant_id": merchant, "payment_id": payment, "model": model,
                                         "vector": vector}) + "\n")
        dim = duckdb_search.VECTOR_DIM
        try:
            with self._lock:
                self._db.execute(
                    f"INSERT OR REPLACE INTO {duckdb_search.VECTORS} SELECT merchant_id, payment_id, model, vector "
                    f"FROM read_json(?, columns = {{'merchant_id': 'VARCHAR', 'payment_id': 'VARCHAR', "
                    f"'model': 'VARCHAR', 'vector': 'FLOAT[{dim}]'}}, format = 'newline_delimited')", [handle.name])
        finally:
            Path(handle.name).unlink(missing_ok=True)

    def rebuild(self, documents: Iterable[PaymentDocument]) -> dict[str, int]:
        """Reindex by table swap: load `payments_rebuild`, carry over any document of `payments` that is newer
        or missing there (written by the indexer meanwhile: nothing is lost), then swap in one transaction."""
        rebuild = f"{TABLE}_rebuild"
        columns = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
        docs = list(documents)
        with self._lock:
            self._db.execute(f"DROP TABLE IF EXISTS {rebuild}")
            self._db.execute(f"CREATE TABLE {rebuild} ({columns}, PRIMARY KEY (merchant_id, payment_id))")
        written = self.upsert_many(docs, table=rebuild)
        keep_newer = (f"INSERT OR REPLACE INTO {rebuild} SELECT p.* FROM {TABLE} p LEFT JOIN {rebuild} r "
                      "USING (merchant_id, payment_id) WHERE r.version IS NULL OR r.version < p.version")
        with self._lock:
            with transaction(self._db):
                carried = len(self._db.execute(keep_newer + " RETURNING payment_id").fetchall())
                self._db.execute(f"DROP TABLE {TABLE}")
                self._db.execute(f"ALTER TABLE {rebuild} RENAME TO {TABLE}")
                self._db.execute(f"DELETE FROM {duckdb_search.VECTORS} v WHERE NOT EXISTS (SELECT 1 FROM {TABLE} p "
                                 "WHERE p.merchant_id = v.merchant_id AND p.payment_id = v.payment_id)")
            total = self._db.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
        return {"written": written, "carried_over": carried, "documents": int(total)}

    def get(self, merchant_id: str, payment_id: str) -> PaymentDocument | None:
        with self._lock:
            cursor = self._db.execute(
                f"SELECT {', '.join(_NAMES)} FROM {TABLE} WHERE merchant_id = ? AND payment_id = ?",
                [merchant_id, payment_id])
            row = cursor.fetchone()
        return PaymentDocument.from_record(dict(zip(_NAMES, row, strict=True))) if row else None

    def summarize(self, merchant_id: str, summary: Summary) -> list[SummaryRow]:
        keys = summary.keys  # validated identifiers from GROUPABLE, never user text
        where, params = ["merchant_id = ?"], [merchant_id]
        where += [f"{k} IS NOT NULL" for k in keys]
        for column, values in (("status", summary.statuses), ("gateway", summary.gateways)):
            if values:
                where.append(f"{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
        group = ", ".join(keys)
        sql = (f"SELECT {group}, count(*), sum(amount_minor) FROM {TABLE} WHERE {' AND '.join(where)} "
               f"GROUP BY {group} ORDER BY {group}")
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        return [SummaryRow(dict(zip(keys, row[:len(keys)], strict=True)), int(row[-2]), int(row[-1]))
                for row in rows]

    def execute(self, merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> QueryResult:
        """One statement: the aggregate with each group's count and newest payments (duckdb_plan); a second one,
        the exact form, only when payments created in the same microsecond straddle the citations' cut."""
        q = duckdb_plan.build(merchant_id, plan, bounds, CITATIONS, self._facts)
        with self._lock:
            try:
                rows = self._db.execute(q["sql"], q["params"]).fetchall()
                records, matched, cited = duckdb_plan.result(plan, q["names"], rows, CITATIONS, q["tail"])
                if cited is None:  # payments created in the same microsecond at the citations' cut: the exact form
                    q = duckdb_plan.build(merchant_id, plan, bounds, CITATIONS, self._facts, exact_citations=True)
                    rows = self._db.execute(q["sql"], q["params"]).fetchall()
                    records, matched, cited = duckdb_plan.result(plan, q["names"], rows, CITATIONS, q["tail"])
            except duckdb.Error as e:
                raise IndexUnavailable(f"embedded index query failed: {e}") from e
        return QueryResult(records, matched, cited,
                           {"engine": "duckdb", "sql": q["sql"], "params": [_shown(p) for p in q["params"]]})

    def search(self, merchant_id: str, plan: SearchPlan, bounds: Bounds | None) -> SearchResult:
        depth = hybrid.CANDIDATES
        bm25, bm25_params = duckdb_search.bm25_sql(merchant_id, plan, bounds, depth)
        counted, count_params = duckdb_search.count_sql(merchant_id, plan, bounds)
        query: dict = {"engine": "duckdb", "bm25_sql": bm25, "params": [_shown(p) for p in bm25_params],
                       "fusion": f"reciprocal rank, k = {hybrid.RRF_K}, depth {depth}"}
        reason = self._no_embedder
        with self._lock:
            try:
                lexical = [r[0] for r in self._db.execute(bm25, bm25_params).fetchall()]
                matched = int(self._db.execute(counted, count_params).fetchone()[0])
                rankings = {"bm25": lexical}
                if self._embedder is not None:
                    if self._has_vectors(merchant_id):
                        [vector] = self._embedder.embed([plan.text])
                        sql, params = duckdb_search.vector_sql(merchant_id, plan, bounds, depth, vector)
                        rankings["vector"] = [r[0] for r in self._db.execute(sql, params).fetchall()]
                        query["vector_sql"] = sql
                        query["embedding_model"], reason = self._embedder.model_id, None
                    else:
                        reason = "the index holds no vectors for your payments yet (run `smartpay chat reindex` " \
                                 "with the embeddings extra installed)"
            except duckdb.Error as e:
                raise IndexUnavailable(f"embedded index search failed: {e}") from e
        hits = hybrid.fuse(rankings, plan.top_k)
        return SearchResult(hits, matched, "hybrid" if reason is None else "bm25", reason, query)

    def _has_vectors(self, merchant_id: str) -> bool:
        if not self._db.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                                [duckdb_search.VECTORS]).fetchone()[0]:
            return False
        return self._db.execute(f"SELECT 1 FROM {duckdb_search.VECTORS} WHERE merchant_id = ? LIMIT 1",
                                [merchant_id]).fetchone() is not None

    def count(self, merchant_id: str) -> int:
        with self._lock:
            return self._db.execute(f"SELECT count(*) FROM {TABLE} WHERE merchant_id = ?", [merchant_id]).fetchone()[0]

    def write_deferred_vectors(self) -> int:
        """Embed what `upsert(defer_vector=True)` left (one model call for the batch; the highest version of each
        key, which is the one its row holds: invocations running side by side may append an older version after a
        newer one) and write them in one statement."""
        with self._lock:
            documents, self._deferred_vectors = self._deferred_vectors, []
        latest: dict[tuple[str, str], PaymentDocument] = {}
        for document in documents:  # dict order: the first time a key was seen; value: its highest version
            key = key_of(document)
            if key not in latest or document.version >= latest[key].version:
                latest[key] = document
        rows = self._vectors(list(latest.values()))
        if rows:
            with self._lock:
                self._write_vectors(rows, own_transaction=True)
        return len(rows)

    def export(self, target: Path, keys: Iterable[tuple[str, str]]) -> None:
        """Write the current rows (and vectors) of these (merchant, payment) keys to a new DuckDB file at
        `target`, in one read of this connection: a consistent set, committed writes only (a published delta)."""
        keys = list(keys)
        params = [[m for m, _ in keys], [p for _, p in keys]]
        # A semi join on the two key columns (a hash of the keys, probed by each row), not a concatenated string
        # per row of the table tested against the list.
        chosen = ("SEMI JOIN (SELECT unnest(?::VARCHAR[]) AS merchant_id, unnest(?::VARCHAR[]) AS payment_id) k "
                  "USING (merchant_id, payment_id)")
        with self._lock:
            # A DETACH that failed after an earlier export's COMMIT (that export raised) leaves the alias taken.
            self._db.execute("DETACH DATABASE IF EXISTS _export")
            self._db.execute(f"ATTACH {quoted(target)} AS _export")
            try:
                with transaction(self._db):
                    for table in (TABLE, duckdb_search.VECTORS):
                        self._db.execute(f"CREATE TABLE _export.{table} AS SELECT t.* FROM {table} t {chosen}",
                                         params)
            except BaseException as failed:  # the export's own error is raised, not a DETACH's after it
                try:
                    self._db.execute("DETACH _export")
                except duckdb.Error as e:
                    failed.add_note(f"and the DETACH after it failed: {type(e).__name__}: {e}")
                raise
            self._db.execute("DETACH _export")

    def exported_keys(self, source: Path) -> set[tuple[str, str]]:
        """The (merchant, payment) keys in a file `export` wrote."""
        with self._lock:
            self._db.execute(f"ATTACH {quoted(source)} AS _exported (READ_ONLY)")
            try:
                return {(m, p) for m, p in self._db.execute(
                    f"SELECT merchant_id, payment_id FROM _exported.{TABLE} UNION "
                    f"SELECT merchant_id, payment_id FROM _exported.{duckdb_search.VECTORS}").fetchall()}
            finally:
                self._db.execute("DETACH _exported")

    def checkpoint(self) -> None:
        """Write the WAL into the main file (a copy of the file is then complete without the WAL)."""
        with self._lock:
            self._db.execute("CHECKPOINT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


@contextmanager
def transaction(db: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT, rolled back on an error. The error raised is the one that failed the transaction: a
    COMMIT that fails ends the transaction in DuckDB, so the ROLLBACK after it fails too ("no transaction is
    active"), and that second error is only noted on the first, never raised in its place."""
    db.execute("BEGIN TRANSACTION")
    try:
        yield
        db.execute("COMMIT")
    except BaseException as failed:
        try:
            db.execute("ROLLBACK")
        except duckdb.Error as e:
            failed.add_note(f"and the ROLLBACK after it failed: {type(e).__name__}: {e}")
        raise


def quoted(path: Path | str) -> str:
    """A file path as a SQL string literal (ATTACH takes no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def _shown(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value) if not isinstance(value, (int, str)) \
        else value


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")
