"""A failed `stack.up` stops what it started (and only that): no stray emulators or workers after a
failed `make up` or e2e fixture."""

import os
import sys

import pytest

from smartpay_shared.local import stack
from smartpay_shared.local.processes import ProcessTable

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]


def test_a_failed_up_stops_what_it_started_and_only_that(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTPAY_LOCAL_DIR", str(tmp_path))
    table = ProcessTable(tmp_path)
    table.start("already-up", SLEEP, dict(os.environ))

    def failing_up(table, *args):
        table.start("moto", SLEEP, dict(os.environ))
        table.start("worker-x", SLEEP, dict(os.environ))
        raise RuntimeError("terraform failed")

    monkeypatch.setattr(stack, "_up", failing_up)
    try:
        with pytest.raises(RuntimeError, match="terraform failed"):
            stack.up("http://127.0.0.1:1")
        assert table.running("moto") is None and table.running("worker-x") is None
        assert table.running("already-up") is not None
    finally:
        for name in ("already-up", "moto", "worker-x"):
            table.stop(name)
