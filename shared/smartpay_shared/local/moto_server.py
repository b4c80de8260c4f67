"""moto's server, with DynamoDB's atomicity: `python -m smartpay_shared.local.moto_server -H host -p port`.

moto serves each request on its own thread and its DynamoDB backend takes no lock: a conditional
write checks its condition and writes in two steps, so two concurrent `UpdateItem`s with the same
`ConditionExpression` (version = 7) can both succeed. Real DynamoDB never lets that happen, and the
payment saga's correctness rests on it (every transition, the charge claim, idempotency keys): on
plain moto three concurrent deliveries of one route charged twice. This wraps moto's own WSGI app
(the same app `moto_server` runs, unchanged otherwise) so DynamoDB requests run one at a time; the
other services stay concurrent. An upstream fix would take a lock per table inside moto's backend;
this is the smallest outside patch with the same effect."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

DYNAMODB_TARGET = "DynamoDB_"  # X-Amz-Target: DynamoDB_20120810.UpdateItem


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
    run_simple(args.host, args.port, SerialDynamoDB(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
