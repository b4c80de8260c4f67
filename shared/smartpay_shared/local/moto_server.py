"""moto's server, with DynamoDB's atomicity: `python -m smartpay_shared.local.moto_server -H host -p port`.

moto serves each request on its own thread and its DynamoDB backend takes no lock: a conditional
write checks its condition and writes in two steps, so two concurrent `UpdateItem`s with the same
`ConditionExpression` (version = 7) can both succeed. Real DynamoDB never lets that happen, and the
payment saga's correctness rests on it (every transition, the charge claim, idempotency keys): on
plain moto three concurrent deliveries of one route charged twice. This wraps moto's own WSGI app
(the same app `moto_server` runs, unchanged otherwise) so DynamoDB requests run one at a time; the
other services stay concurrent. An upstream fix would take a lock per table inside moto's backend;
this is the smallest outside patch with the same effect.

It also counts what it serves (`GET /_smartpay/requests`: per API action, requests and seconds spent
answering them), so a benchmark can read a saga's exact call mix and where the emulator's time goes."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

DYNAMODB_TARGET = "DynamoDB_"  # X-Amz-Target: DynamoDB_20120810.UpdateItem
STATS_PATH = "/_smartpay/requests"


def action_of(environ: dict[str, Any]) -> str:
    """`DynamoDB_20120810.UpdateItem` -> `DynamoDB.UpdateItem`; a REST call (S3, Lambda, X-Ray): its
    method and first path segment."""
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        service, _, operation = target.partition(".")
        return f"{service.split('_')[0]}.{operation}"
    path = str(environ.get("PATH_INFO", "/")).strip("/").split("/")[0]
    return f"{environ.get('REQUEST_METHOD', 'GET')} /{path}"


class RequestStats:
    """WSGI middleware: per action, how many requests and how long moto took to answer them."""

    def __init__(self, app: Callable):
        self.app = app
        self.lock = threading.Lock()
        self.counts: dict[str, list[float]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == STATS_PATH:
            with self.lock:
                body = json.dumps({k: {"n": int(n), "seconds": round(t, 6)} for k, (n, t) in self.counts.items()})
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body.encode()]
        started = time.perf_counter()
        try:
            return list(self.app(environ, start_response))
        finally:
            elapsed = time.perf_counter() - started
            with self.lock:
                entry = self.counts.setdefault(action_of(environ), [0, 0.0])
                entry[0] += 1
                entry[1] += elapsed


class SerialDynamoDB:
    """WSGI middleware: one DynamoDB request at a time (a request's whole body is answered inside)."""

    def __init__(self, app: Callable):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if not str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(DYNAMODB_TARGET):
            return self.app(environ, start_response)
        with self.lock:
            return list(self.app(environ, start_response))


def main(argv: list[str] | None = None) -> None:
    import os

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, RequestStats(SerialDynamoDB(app)), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
