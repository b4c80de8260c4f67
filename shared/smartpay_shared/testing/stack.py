"""The real local stack for end-to-end tests, benchmarks and chaos runs: `stack.up` in a private state
directory with every port its own (moto, gateway, X-Ray relay, Redis, every emulator and sandbox: free
ports), always `stack.down` after (also when `up` failed half way), the process environment as it was
before. Private stacks run side by side, and next to `make up` / `make demo`: no lock needed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from smartpay_shared.local import stack
from smartpay_shared.testing.moto import free_port

SMARTPAY = str(Path(sys.executable).parent / "smartpay")


@contextmanager
def private_stack(state: Path, env: dict[str, str] | None = None,
                  terraform_variables: dict[str, dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """The stack's info (as `stack.up` returns it) plus `state` and `up_seconds`; `env` is set for the
    stack's processes (e.g. emulator profiles) and removed after. Nested private stacks are fine: each
    call's `info["env"]` (see `stack_env`) reaches its own stack whatever the process environment says.
    `terraform_variables`: per root, values over local.tfvars (`stack.up`)."""
    saved = dict(os.environ)
    os.environ["SMARTPAY_LOCAL_DIR"] = str(state)
    os.environ.update(env or {})
    try:
        started = time.monotonic()
        info = stack.up(f"http://127.0.0.1:{free_port()}", xray_address=f"127.0.0.1:{free_port()}",
                        terraform_variables=terraform_variables)
        info["state"], info["up_seconds"] = Path(state), round(time.monotonic() - started, 1)
        yield info
    finally:
        os.environ["SMARTPAY_LOCAL_DIR"] = str(state)  # down() finds the stack by its state directory
        try:
            stack.down()
        finally:
            os.environ.clear()
            os.environ.update(saved)


def stack_env(info: Mapping[str, Any] | None = None, **extra: str) -> dict[str, str]:
    """The environment for a command against one stack: this process's, with the stack's own settings
    (endpoint, state dir, emulator and Redis addresses) on top. Without `info`: the environment as it is."""
    return {**os.environ, **(dict(info["env"]) if info else {}), **extra}


def merchant_token(email: str, merchant_id: str, password: str, stack: Mapping[str, Any] | None = None) -> str:
    """A Cognito user of `merchant_id` on the running stack (`stack`: that one; by default the one the
    environment names), created or already there, and its ID token."""
    env = stack_env(stack, SMARTPAY_USER_PASSWORD=password)
    subprocess.run([SMARTPAY, "auth", "create-user", "--email", email, "--merchant-id", merchant_id], env=env,
                   check=True, capture_output=True, timeout=120)
    return subprocess.run([SMARTPAY, "auth", "token", "--email", email], env=env, check=True, capture_output=True,
                          text=True, timeout=120).stdout.strip()
