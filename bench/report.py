"""Write a benchmark's JSON result and its section of docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

`make bench` runs every benchmark. Each measures its baseline in the same run (this machine is shared
and noisy, so only ratios against a same-run baseline mean anything), writes
`bench/results/<name>.json` and rewrites its own section below.
"""


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "loadavg_1m_at_start": round(load[0], 2)}


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered), 3), "p90_ms": round(q[89], 3),
            "p99_ms": round(q[98], 3), "mean_ms": round(statistics.fmean(ordered), 3),
            "min_ms": round(ordered[0], 3), "max_ms": round(ordered[-1], 3)}


def write(name: str, result: dict[str, Any], section_md: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"name": name, "date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
              **result}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    _write_section(name, section_md.rstrip() + f"\n\nMeasured {result['date']} on {result['machine']['cpu']} "
                   f"({result['machine']['cores']} cores, load {result['machine']['loadavg_1m_at_start']}); "
                   f"raw figures in `bench/results/{name}.json`.\n")
    return path


def _write_section(name: str, body: str) -> None:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = DOC.read_text() if DOC.exists() else HEADER
    block = f"{start}\n{body}{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)
