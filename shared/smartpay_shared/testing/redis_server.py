"""A private redis-server for tests: on a free port, no persistence, killed afterwards; never the machine's
Redis (tests own their ports and state)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from smartpay_shared.testing.moto import free_port


@contextmanager
def private_redis(directory: Path) -> Iterator[str]:
    """Start one and yield its URL (`redis://127.0.0.1:<port>/0`)."""
    exe = shutil.which("redis-server")
    if not exe:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the private redis-server did not start")
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=10)
