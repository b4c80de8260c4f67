"""Backfill historical payments (`smartpay payment import FILE --merchant M`): every row is validated, and checked
against the table, before anything is written; then each payment is committed through the unit of work (the
repository's conditional write, its event in the outbox, then published), like any transition of the saga.

Idempotent: a row already imported (same merchant, reference and values) is left alone; the same reference with
other values is an error (validation, nothing written). A publish that fails leaves the event in the record's
outbox, which the sweeper sends."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from smartpay_payment.domain import history
from smartpay_payment.domain.model import Transition
from smartpay_payment.service_layer.ports import ConcurrencyConflict
from smartpay_payment.service_layer.unit_of_work import AbstractUnitOfWork
from smartpay_shared.runtime.publisher import PublishError

MAX_ERRORS_SHOWN = 50
CLOCK_SKEW = timedelta(seconds=60)


class Unreadable(str):
    """A line read_rows could not turn into a row: the reason (our text, never the line's). A type of its own,
    so no key or value in a file can pass for it."""


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    unchanged: int = 0  # imported before with the same values: a no-op
    unpublished: int = 0  # written; the event waits in the outbox for the sweeper
    errors: list[str] = field(default_factory=list)  # "line N: field: why" (never a value)

    @property
    def valid(self) -> bool:
        return not self.errors


def read_rows(path: Path, fmt: str = "auto") -> Iterator[tuple[int, Any]]:
    """(line number, row) of a CSV (header line 1, rows from line 2) or JSONL file (blank lines skipped). A line
    that is not JSON is yielded as None (parse_row refuses it); the text is never repeated."""
    fmt = fmt if fmt != "auto" else ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv")
    text = path.read_text(encoding="utf-8-sig")
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        for row in reader:
            if None in row or None in row.values():
                yield reader.line_num, Unreadable("the row's cell count differs from the header's")
            else:
                yield reader.line_num, row
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                yield number, None


def validate(uow: AbstractUnitOfWork, merchant_id: str, rows: Iterable[tuple[int, Any]],
             now: datetime | None = None) -> tuple[ImportReport, list[tuple[Transition, list]]]:
    """Every row parsed and checked against the file, the clock (history is in the past) and the table; the
    transitions still to write."""
    report, todo, seen = ImportReport(), [], {}
    latest = (now or datetime.now(UTC)) + CLOCK_SKEW
    for line, raw in rows:
        report.rows += 1
        if isinstance(raw, Unreadable):
            report.errors.append(f"line {line}: {raw}")
            continue
        try:
            row = history.parse_row(raw) if raw is not None else None
        except history.RowError as e:
            report.errors.extend(f"line {line}: {problem}" for problem in e.problems)
            continue
        if row is None:
            report.errors.append(f"line {line}: not a JSON object")
            continue
        if row.reference in seen:
            report.errors.append(f"line {line}: reference: also on line {seen[row.reference]}")
            continue
        seen[row.reference] = line
        late = [name for name in ("created_at", "completed_at") if getattr(row, name) is not None and getattr(row, name) > latest]
        if late:
            report.errors.extend(f"line {line}: {name}: in the future (history is imported after it happened)"
                                 for name in late)
            continue
        start, end, events = history.to_record(merchant_id, row)
        stored = uow.payments.get(end.payment_id)
        if stored is None:
            todo.append((Transition(start, end, events), line))
        elif stored.payment.metadata.get(history.IMPORT_KEY) == row.fingerprint() \
                and stored.payment.merchant_id == merchant_id:
            report.unchanged += 1
        else:
            report.errors.append(f"line {line}: reference: imported before with other values "
                                 f"({end.payment_id}); nothing is changed by an import")
    return report, todo


def import_history(uow: AbstractUnitOfWork, merchant_id: str, rows: Iterable[tuple[int, Any]],
                   now: datetime | None = None) -> ImportReport:
    """Validate everything first; write only when every row is valid."""
    report, todo = validate(uow, merchant_id, rows, now)
    if not report.valid:
        return report
    for transition, line in todo:
        try:
            uow.commit(transition, new=True)
        except ConcurrencyConflict:  # another import of the same file got there first
            stored = uow.payments.get(transition.after.payment_id)
            same = stored and stored.payment.metadata == transition.after.metadata
            if not same:
                report.errors.append(f"line {line}: reference: written meanwhile with other values")
                continue
            report.unchanged += 1
            continue
        except PublishError:
            report.unpublished += 1
        report.imported += 1
    return report
