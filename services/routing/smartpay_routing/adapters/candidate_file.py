"""A candidate given as per-row probabilities in a second JSON-lines file (plain or gzip):
`{"row": <line number of the decision in the log>, "probabilities": [..] | {action: p}}`, one line per
decision, in the log's order. Read in step with the log, so it costs no memory per row."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from smartpay_routing.adapters.decision_log import candidate_distribution, describe
from smartpay_routing.adapters.jsonl import read_lines
from smartpay_routing.domain.ope import LogFormatError, LoggedDecision, check_distribution


class CandidateLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    row: int = Field(strict=True, ge=1)
    probabilities: Any


class CandidateFile:
    checked = True  # each entry is checked against its row's actions here, with this file's line number

    def __init__(self, path: Path):
        self.path = path
        self._lines: Iterator[tuple[int, bytes]] | None = None
        self._last_row = 0

    def _next(self) -> tuple[int, CandidateLine] | None:
        assert self._lines is not None
        for number, line in self._lines:
            if not line.strip():
                continue
            try:
                return number, CandidateLine.model_validate_json(line)
            except ValidationError as e:
                raise LogFormatError(f"{self.path} line {number}: {describe(e)}") from e
        return None

    def start(self) -> None:
        self._lines = read_lines(self.path)
        self._last_row = 0

    def probabilities(self, line: int, record: LoggedDecision) -> Sequence[float]:
        if self._lines is None:
            self.start()
        entry = self._next()
        if entry is None:
            raise LogFormatError(f"{self.path} ends before the decision at log line {line}")
        number, found = entry
        if found.row != line:
            order = "" if found.row > self._last_row else " (rows must be listed once each, in the log's order)"
            raise LogFormatError(f"{self.path} line {number}: row {found.row} where the log's next decision is "
                                 f"at line {line}{order}")
        self._last_row = found.row
        try:
            return check_distribution(candidate_distribution(found.probabilities, record.actions), record.actions)
        except ValueError as e:
            raise LogFormatError(f"{self.path} line {number} (row {line}): {e}") from e

    def finish(self) -> None:
        if self._lines is None:
            self.start()
        entry = self._next()
        if entry is not None:
            number, found = entry
            raise LogFormatError(f"{self.path} line {number}: row {found.row} is not a decision of the log "
                                 f"(its last decision is at line {self._last_row})")
