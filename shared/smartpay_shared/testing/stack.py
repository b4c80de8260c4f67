"""The real local stack for end-to-end tests, benchmarks and chaos runs: `stack.up` on free ports in a
private state directory, always `stack.down` after (also when `up` failed half way), the process
environment as it was before. Callers hold the machine's local stack lock (fixed emulator ports)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smartpay_shared.local import stack
from smartpay_shared.testing.moto import free_port

SMARTPAY = str(Path(sys.executable).parent / "smartpay")
_SET_BY_UP = ("SMARTPAY_LOCAL_DIR", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")


@contextmanager
def private_stack(state: Path, env: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """The stack's info (as `stack.up` returns it) plus `state` and `up_seconds`; `env` is set for the
    stack's processes (e.g. emulator profiles) and removed after."""
    saved = {k: os.environ.get(k) for k in (*_SET_BY_UP, *(env or {}))}
    os.environ["SMARTPAY_LOCAL_DIR"] = str(state)
    os.environ.update(env or {})
    try:
        started = time.monotonic()
        info = stack.up(f"http://127.0.0.1:{free_port()}", gateway_port=free_port(),
                        xray_address=f"127.0.0.1:{free_port()}")
        info["state"], info["up_seconds"] = Path(state), round(time.monotonic() - started, 1)
        yield info
    finally:
        stack.down()
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def merchant_token(email: str, merchant_id: str, password: str) -> str:
    """A Cognito user of `merchant_id` on the running stack (created, or already there) and its ID token."""
    env = {**os.environ, "SMARTPAY_USER_PASSWORD": password}
    subprocess.run([SMARTPAY, "auth", "create-user", "--email", email, "--merchant-id", merchant_id], env=env,
                   check=True, capture_output=True, timeout=120)
    return subprocess.run([SMARTPAY, "auth", "token", "--email", email], env=env, check=True, capture_output=True,
                          text=True, timeout=120).stdout.strip()
