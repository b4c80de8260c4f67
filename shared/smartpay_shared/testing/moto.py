"""Start a real moto server in a subprocess (the same server `make up` runs, on a free port): moto's
own app, with DynamoDB requests served one at a time as DynamoDB's atomicity requires
(smartpay_shared.local.moto_server)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    def __init__(self, port: int | None = None, log_path: Path | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> MotoServer:
        # moto's own server app with DynamoDB's atomicity (smartpay_shared.local.moto_server).
        cmd = [sys.executable, "-m", "smartpay_shared.local.moto_server", "-H", "127.0.0.1", "-p", str(self.port)]
        env = {**os.environ, "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
               "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH"}
        out = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._proc.returncode}")
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"moto server not ready on {self.url} after {timeout}s")

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url + "/moto-api/reset", method="POST")).read()

    def queue_sagemaker_result(self, body: str, content_type: str = "application/json") -> None:
        """The answer the next new InvokeEndpoint request gets (moto runs no model: it answers from this queue,
        whatever the request and endpoint, repeats its answer to an identical request, and answers the text
        "body" when the queue is empty)."""
        payload = {"results": [{"Body": body, "ContentType": content_type}]}
        request = urllib.request.Request(self.url + "/moto-api/static/sagemaker/endpoint-results",
                                         data=json.dumps(payload).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).read()

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        self._proc = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
