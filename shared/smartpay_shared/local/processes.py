"""Background processes of the local stack: started detached with a pid file and a log file under
.local/, stopped by pid file only, so `make down` stops exactly what `make up` started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MARKER = "SMARTPAY_STACK_PROCESS"


@dataclass(frozen=True)
class Managed:
    name: str
    pid: int
    log: Path


class ProcessTable:
    def __init__(self, state_dir: Path):
        self.pids = state_dir / "pids"
        self.logs = state_dir / "logs"
        self.pids.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Managed:
        existing = self.running(name)
        if existing:
            return existing
        log = self.logs / f"{name}.log"
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**env, MARKER: name}, start_new_session=True,
            )
        (self.pids / f"{name}.pid").write_text(str(proc.pid))
        return Managed(name, proc.pid, log)

    def running(self, name: str) -> Managed | None:
        pidfile = self.pids / f"{name}.pid"
        if not pidfile.exists():
            return None
        pid = int(pidfile.read_text().strip() or 0)
        if pid and _is_ours(pid, name):
            return Managed(name, pid, self.logs / f"{name}.log")
        pidfile.unlink(missing_ok=True)
        return None

    def all_running(self) -> list[Managed]:
        found = (self.running(p.stem) for p in sorted(self.pids.glob("*.pid")))
        return [m for m in found if m]

    def stop(self, name: str, timeout: float = 10.0) -> bool:
        managed = self.running(name)
        if not managed:
            return False
        try:
            os.killpg(managed.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _is_ours(managed.pid, name):
            time.sleep(0.1)
        if _is_ours(managed.pid, name):
            os.killpg(managed.pid, signal.SIGKILL)
            # SIGKILL is not instant on a loaded machine: `stop` returns once the process is gone.
            deadline = time.monotonic() + 10.0
            while time.monotonic() < deadline and _is_ours(managed.pid, name):
                time.sleep(0.05)
        # Gone for good before `stop` returns (a process that stopped carrying our marker, e.g. mid-shutdown,
        # reads as not ours above but may still be running): wait on the pid itself, then kill it.
        if not _gone(managed.pid, 10.0):
            try:
                os.killpg(managed.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _gone(managed.pid, 10.0)
        (self.pids / f"{name}.pid").unlink(missing_ok=True)
        return True


def _gone(pid: int, timeout: float) -> bool:
    """Wait until pid has exited (no /proc entry, or a zombie); whether it has."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if "State:\tZ" in Path(f"/proc/{pid}/status").read_text():
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _is_ours(pid: int, name: str) -> bool:
    """True if pid is alive and was started by us under this name (pids get reused)."""
    deadline = time.monotonic() + 2.0
    while True:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            status = Path(f"/proc/{pid}/status").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return False
        if "State:\tZ" in status:
            return False
        # Empty while the kernel is still inside execve (Popen returns once the child's close-on-exec pipe
        # closed, before the new image's environment is mapped): read again rather than call it a stranger.
        if environ or time.monotonic() > deadline:
            return f"{MARKER}={name}".encode() in environ.split(b"\0")
        time.sleep(0.01)
