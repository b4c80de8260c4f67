"""The benchmarks' pure helpers (bench/) are tested here; `make bench` runs them as `python -m bench`
from the repository root, which these tests put on the path the same way."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
