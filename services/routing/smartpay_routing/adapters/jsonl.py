"""Lines of a JSON-lines file, plain or gzip (told by its magic bytes, not its name), read in binary so that
every failure (a bad gzip stream, an over-long line) is reported with the line number it happened at."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from smartpay_routing.domain.ope import LogFormatError

MAX_LINE_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_REPORT_EVERY = 2048


def is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == _GZIP_MAGIC


def read_lines(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[tuple[int, bytes]]:
    """(line number, line) for every line; on_bytes gets how many bytes of the file (compressed, for gzip)
    were consumed since its last call."""
    with path.open("rb") as raw:
        stream = gzip.GzipFile(fileobj=raw, mode="rb") if is_gzip(path) else raw
        number, reported = 0, 0
        while True:
            try:
                line = stream.readline(MAX_LINE_BYTES + 1)
            except (OSError, EOFError, zlib.error) as e:
                raise LogFormatError(f"{path} line {number + 1}: the gzip stream is damaged or cut short ({e})") from e
            if not line:
                break
            number += 1
            if len(line) > MAX_LINE_BYTES:
                raise LogFormatError(f"{path} line {number}: longer than {MAX_LINE_BYTES} bytes")
            if on_bytes is not None and number % _REPORT_EVERY == 0:
                position = raw.tell()
                on_bytes(position - reported)
                reported = position
            yield number, line
        if on_bytes is not None:
            on_bytes(raw.tell() - reported)
