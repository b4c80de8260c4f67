"""The OPE decision log on disk: JSON lines (plain or gzip), each validated by pydantic into a LoggedDecision.
A line that fails is reported as `<file> line <n>: <what is wrong>`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, TypeAdapter, ValidationError

from smartpay_routing.adapters.jsonl import read_lines
from smartpay_routing.domain.ope import LogFormatError, LoggedDecision, distribution_from_mapping


class LogLine(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    context: dict[str, Any]
    actions: list[StrictStr] = Field(min_length=1)
    action: StrictStr
    reward: float = Field(strict=True)
    propensity: float = Field(strict=True)


Probabilities = list[float] | dict[str, float]
_PROBABILITIES = TypeAdapter(Probabilities, config=ConfigDict(allow_inf_nan=False, strict=True))


def describe(error: ValidationError) -> str:
    errors = error.errors(include_url=False)
    missing = [".".join(map(str, e["loc"])) for e in errors if e["type"] == "missing"]
    if missing:
        return f"missing field(s) {missing}"
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where + ': ' if where else ''}{first['msg']}{more}"


def candidate_distribution(raw: Any, actions: tuple[str, ...]) -> tuple[float, ...]:
    """A candidate's probabilities as a list in the order of `actions`, or as {action: probability}."""
    try:
        value = _PROBABILITIES.validate_python(raw)
    except ValidationError as e:
        raise ValueError(f"candidate probabilities must be a list of numbers or an object of numbers "
                         f"({describe(e)})") from e
    if isinstance(value, dict):
        return distribution_from_mapping(value, actions)
    return tuple(value)  # checked where it is used (LoggedDecision, the evaluation)


def parse_line(line: bytes, candidate_field: str | None = None) -> LoggedDecision:
    try:
        raw = LogLine.model_validate_json(line)
    except ValidationError as e:
        raise ValueError(describe(e)) from e
    actions = tuple(raw.actions)
    candidate = None
    if candidate_field is not None:
        extra = raw.model_extra or {}
        if candidate_field not in extra:
            raise ValueError(f"no candidate field {candidate_field!r}")
        candidate = candidate_distribution(extra[candidate_field], actions)
    return LoggedDecision(raw.context, actions, raw.action, raw.reward, raw.propensity, candidate)


class JsonlDecisionLog:
    """A DecisionSource over a file; it can be read any number of times (OPE reads it twice)."""

    def __init__(self, path: Path, candidate_field: str | None = None):
        self.path = path
        self.name = str(path)
        self.total_bytes = path.stat().st_size
        self.candidate_field = candidate_field

    def read(self, on_bytes: Callable[[int], None] | None = None) -> Iterator[tuple[int, LoggedDecision]]:
        for number, line in read_lines(self.path, on_bytes):
            if not line.strip():
                continue
            try:
                yield number, parse_line(line, self.candidate_field)
            except ValueError as e:
                raise LogFormatError(f"{self.name} line {number}: {e}") from e
