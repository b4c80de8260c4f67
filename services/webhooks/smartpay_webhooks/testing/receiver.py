"""A merchant's webhook receiver on 127.0.0.1: verifies every request with the `standardwebhooks`
reference library (as a merchant would, independent of this service's signing code), records it, and
answers 2xx, or 500 while a scripted failure applies (`fail_first`: that many failures per webhook-id;
`fail_ids`: only for the first that many webhook-ids, None: all; `fail_rate`: random failures; `down`:
everything fails; `go_down()` / `come_up()`: the port refuses connections meanwhile). Each request records
its arrival time (`at`, time.perf_counter, for latency measured in the same process).

    smartpay webhooks receiver --port 8499 --secret whsec_... --fail-first 2
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops connections under a burst of parallel deliveries
    daemon_threads = True


@dataclass
class Received:
    webhook_id: str
    event_type: str
    verified: bool
    answered: int
    data: dict = field(default_factory=dict)
    at: float = 0.0  # time.perf_counter() when the request arrived


class Receiver:
    def __init__(self, secrets: list[str] | None = None, *, fail_first: int = 0, fail_ids: int | None = None,
                 fail_rate: float = 0.0, seed: int = 0, echo: Callable[[str], None] | None = None):
        self.secrets = list(secrets or [])
        self.fail_first, self.fail_ids, self.fail_rate = fail_first, fail_ids, fail_rate
        self.down = False
        self.received: list[Received] = []
        self._tries: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._echo = echo
        self._server: ThreadingHTTPServer | None = None
        self._port = 0

    # --- what a merchant does ------------------------------------------------------------------
    def verify(self, body: str, headers: dict[str, str]) -> dict | None:
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
        return None

    def handle(self, body: str, headers: dict[str, str]) -> int:
        arrived = time.perf_counter()
        payload = self.verify(body, headers)
        webhook_id = headers.get("webhook-id", "")
        with self._lock:
            self._tries[webhook_id] += 1
            tries = self._tries[webhook_id]
            scripted = self.fail_ids is None or list(self._tries).index(webhook_id) < self.fail_ids
            if payload is None:
                status = 401
            elif self.down or (scripted and tries <= self.fail_first) or self._rng.random() < self.fail_rate:
                status = 500
            else:
                status = 200
            event_type = (payload or {}).get("type", "?")
            self.received.append(Received(webhook_id, event_type, payload is not None, status,
                                          (payload or {}).get("data", {}), arrived))
        if self._echo:
            self._echo(f"{'verified' if payload is not None else 'REJECTED'} {event_type} {webhook_id} "
                       f"try {tries} -> {status}")
        return status

    # --- queries for tests ------------------------------------------------------------------------
    def delivered(self) -> dict[str, Received]:
        """Verified requests answered 2xx, by webhook-id (the first of each)."""
        with self._lock:
            out: dict[str, Received] = {}
            for r in self.received:
                if r.verified and r.answered == 200:
                    out.setdefault(r.webhook_id, r)
            return out

    # --- server -----------------------------------------------------------------------------------
    def start(self, port: int = 0) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                status = receiver.handle(body, {k.lower(): v for k, v in self.headers.items()})
                answer = json.dumps({"ok": status == 200}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self._server = _Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhooks"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def go_down(self) -> None:
        """Close the listening socket: connections are refused until come_up()."""
        self._port = self._server.server_address[1]
        self.stop()

    def come_up(self) -> None:
        self.start(self._port)
