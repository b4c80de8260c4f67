"""The embedded index shared between processes: DuckDB lets one process hold a file (read-write excludes every
other process, even readers), so this adapter opens the file for each call and closes it after. The indexer
worker writes (read-write), the API reads (read-only); a call that meets the other's lock retries briefly,
then raises IndexUnavailable (the queue retries the record; the API answers 503 with a retry hint)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from smartpay_chat.adapters.duckdb_index import TABLE, DuckDBPaymentIndex
from smartpay_chat.domain.document import PaymentDocument
from smartpay_chat.domain.errors import IndexUnavailable
from smartpay_chat.domain.plan import AggregatePlan
from smartpay_chat.domain.summary import Summary, SummaryRow
from smartpay_chat.domain.windows import Bounds
from smartpay_chat.service_layer.ports import PaymentIndex, QueryResult, UpsertResult

T = TypeVar("T")


class SharedFileDuckDBIndex(PaymentIndex):
    def __init__(self, path: Path | str, *, name: str = TABLE, read_only: bool = False,
                 wait_seconds: float = 2.0):
        self.name, self._path, self._read_only, self._wait = name, Path(path), read_only, wait_seconds
        if not read_only:
            DuckDBPaymentIndex(self._path, name=name).close()  # creates the file and the table once

    def _with(self, read_only: bool, call: Callable[[DuckDBPaymentIndex], T]) -> T:
        deadline, pause = time.monotonic() + self._wait, 0.01
        while True:
            try:
                index = DuckDBPaymentIndex(self._path, name=self.name, read_only=read_only)
            except IndexUnavailable:
                if time.monotonic() + pause > deadline or (read_only and not self._path.exists()):
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.2)
                continue
            try:
                return call(index)
            finally:
                index.close()

    def upsert(self, document: PaymentDocument) -> UpsertResult:
        if self._read_only:
            raise PermissionError("this embedded index was opened read-only (the API never writes)")
        return self._with(False, lambda ix: ix.upsert(document))

    def get(self, merchant_id: str, payment_id: str) -> PaymentDocument | None:
        return self._with(True, lambda ix: ix.get(merchant_id, payment_id))

    def summarize(self, merchant_id: str, summary: Summary) -> list[SummaryRow]:
        return self._with(True, lambda ix: ix.summarize(merchant_id, summary))

    def execute(self, merchant_id: str, plan: AggregatePlan, bounds: Bounds | None) -> QueryResult:
        return self._with(True, lambda ix: ix.execute(merchant_id, plan, bounds))
