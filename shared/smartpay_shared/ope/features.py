"""Every context key as hashed features for the reward model: strings and booleans as `key=value` indicators,
numbers as sign(v) * log(1 + |v|) under their key, nested objects under `key.sub`, lists element by element.
Index 0 is the intercept. The hash is crc32, so a feature lands in the same column in every process."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 4
_CACHE_LIMIT = 1 << 20


class ContextHasher:
    def __init__(self, bits: int):
        if not 2 <= bits <= 16:
            raise ValueError(f"hash bits must be in [2, 16], got {bits}")
        self.dim = 1 << bits
        self._columns: dict[Any, int] = {}

    def encode(self, context: Mapping[str, Any]) -> tuple[list[int], list[float]]:
        """Column indices and values of one context (the intercept first; a column may repeat: values add)."""
        columns, values = [0], [1.0]
        cached = self._columns.get
        for key, value in context.items():  # the flat keys inline (the hot path), the rest through _add
            kind = type(value)
            if kind is str:
                column = cached((key, value)) or self._new((key, value), f"{key}={value}")
                columns.append(column)
                values.append(1.0)
            elif kind is float or kind is int:
                if not math.isfinite(value):
                    raise ValueError(f"context {key} is not a finite number: {value}")
                columns.append(cached(key) or self._new(key, key))
                values.append(math.copysign(math.log1p(abs(value)), value))
            else:
                self._add(value, str(key), columns, values, 0)
        return columns, values

    def _new(self, cache_key: Any, token: str) -> int:
        if len(self._columns) >= _CACHE_LIMIT:
            self._columns.clear()
        column = self._columns[cache_key] = 1 + zlib.crc32(token.encode()) % (self.dim - 1)
        return column

    def _column(self, token: str) -> int:
        return self._columns.get(token) or self._new(token, token)

    def _add(self, value: Any, key: str, columns: list[int], values: list[float], depth: int) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            columns.append(self._column(f"{key}={'true' if value else 'false'}"))
            values.append(1.0)
        elif isinstance(value, (int, float)):
            v = float(value)
            if not math.isfinite(v):
                raise ValueError(f"context {key} is not a finite number: {value}")
            columns.append(self._column(key))
            values.append(math.copysign(math.log1p(abs(v)), v))
        elif isinstance(value, str):
            columns.append(self._column(f"{key}={value}"))
            values.append(1.0)
        elif depth >= MAX_DEPTH:
            raise ValueError(f"context {key} nests deeper than {MAX_DEPTH} levels")
        elif isinstance(value, Mapping):
            for sub, inner in value.items():
                self._add(inner, f"{key}.{sub}" if key else str(sub), columns, values, depth + 1)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                self._add(inner, key, columns, values, depth + 1)
        else:
            raise ValueError(f"context {key} has a value of type {type(value).__name__}")
