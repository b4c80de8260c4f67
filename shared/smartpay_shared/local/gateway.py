"""Local stand-in for API Gateway (REST API, Lambda proxy integration) and its Cognito authorizer:
routes from the services' manifests, ID-token check, the exact proxy event for the unchanged API
handlers. Served over HTTP/1.1 with keep-alive (cheroot): a client's connection carries its next requests.
Run it with `python -m smartpay_shared.local.gateway`."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from smartpay_shared import __version__, pan, problems
from smartpay_shared.api import DEFAULT_MAX_BODY_BYTES, MERCHANT_CLAIM
from smartpay_shared.local import auth
from smartpay_shared.local.environments import Environments, ProcessHandler, deployed_apis
from smartpay_shared.local.openapi import merge_openapi
from smartpay_shared.local.proxy_event import lambda_response, problem_response, proxy_event
from smartpay_shared.ratelimit import RateLimiter, RedisTokenBucket
from smartpay_shared.local.routes import GatewayRoute, Handler, LazyHandlers, RouteTable, routes_from_manifests
from smartpay_shared.manifest import Manifest, all_manifests

__all__ = ["Gateway", "GatewayRoute", "GatewayServer", "GatewaySettings", "LazyHandlers", "RouteTable",
           "create_gateway", "make_gateway_server", "routes_from_manifests", "serve"]
from smartpay_shared.runtime.lambda_context import LocalLambdaContext

log = logging.getLogger("smartpay.gateway")
_BODY_READ = "smartpay.gateway.body_read"  # environ key: the request's body was read in full
DEFAULT_THREADS = 64
IDLE_TIMEOUT_SECONDS = 60
# After an answer to a request whose body it left unread (413), the server reads and drops what the client is still
# sending before it closes (a "lingering close", RFC 9112 section 9.6), so the client gets to read the answer instead
# of a reset: at most this long and this much.
LINGER_SECONDS = 2.0
LINGER_MAX_BYTES = 16 * 1024 * 1024


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMARTPAY_GATEWAY_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    region: str = Field(default="us-east-1", validation_alias=AliasChoices(
        "SMARTPAY_GATEWAY_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"))
    user_pool_id: str = Field(default="", validation_alias=AliasChoices(
        "SMARTPAY_GATEWAY_USER_POOL_ID", "SMARTPAY_USER_POOL_ID"))
    client_id: str = Field(default="", validation_alias=AliasChoices(
        "SMARTPAY_GATEWAY_CLIENT_ID", "SMARTPAY_USER_POOL_CLIENT_ID"))
    endpoint_url: str | None = Field(default=None, validation_alias=AliasChoices(
        "SMARTPAY_GATEWAY_ENDPOINT_URL", "AWS_ENDPOINT_URL"), description="Serves the JWKS (moto).")
    jwks_url: str = Field(default="", description="Default: <endpoint or AWS>/<pool>/.well-known/jwks.json")
    issuer: str = Field(default="", description="Default: https://cognito-idp.<region>.amazonaws.com/<pool>")
    stage: str = "local"
    jwks_cache_seconds: float = Field(default=300, gt=0)
    leeway_seconds: float = Field(default=0, ge=0)
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, gt=0, description="Larger bodies get 413.")
    rate_limit_per_second: float = Field(default=200.0, ge=0, description="Per merchant; 0 turns the limit off.")
    rate_limit_burst: int = Field(default=400, ge=1, description="Requests a merchant may save up.")
    threads: int = Field(default=DEFAULT_THREADS, ge=1, description="Request threads (an idle keep-alive "
                         "connection holds none; a request waiting for a busy API environment holds one).")
    service_queue: int = Field(default=0, ge=0, description="Requests of one service inside the gateway at once "
                               "(running or waiting for an environment); more get 429 as a throttled Lambda's. "
                               "0: half the request threads, so one flooded service leaves the rest to others.")

    def service_limit(self) -> int:
        return self.service_queue or max(1, self.threads // 2)
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias=AliasChoices(
        "SMARTPAY_GATEWAY_REDIS_URL", "REDIS_URL"), description="Holds the rate limit buckets.")

    def with_stack_defaults(self, stack: Mapping[str, Any]) -> GatewaySettings:
        """Fill what the environment left unset from the local stack's outputs file."""
        return self.model_copy(update={
            "user_pool_id": self.user_pool_id or stack.get("user_pool_id", ""),
            "client_id": self.client_id or stack.get("user_pool_client_id", ""),
            "endpoint_url": self.endpoint_url or stack.get("aws_endpoint_url"),
        })

    def verifier(self) -> auth.CognitoIdTokenVerifier:
        if not (self.user_pool_id and self.client_id):
            raise ValueError("the gateway needs a user pool id and app client id "
                             "(SMARTPAY_USER_POOL_ID / SMARTPAY_USER_POOL_CLIENT_ID or .local/stack.json)")
        url = self.jwks_url or auth.jwks_url(self.user_pool_id, region=self.region, endpoint_url=self.endpoint_url)
        issuer = self.issuer or auth.cognito_issuer(self.region, self.user_pool_id)
        return auth.CognitoIdTokenVerifier.from_jwks_url(
            url, issuer=issuer, client_id=self.client_id,
            cache_seconds=self.jwks_cache_seconds, leeway=self.leeway_seconds)

    def limiter(self) -> RateLimiter | None:
        if not self.rate_limit_per_second:
            return None
        return RedisTokenBucket.from_url(self.redis_url, rate=self.rate_limit_per_second,
                                         burst=self.rate_limit_burst)


def load_settings(stack_file: Path | None = None) -> GatewaySettings:
    return GatewaySettings().with_stack_defaults(auth.read_stack_file(stack_file))


# --- the WSGI app ------------------------------------------------------------------------------

class Gateway:
    def __init__(self, routes: Iterable[GatewayRoute], handlers: Mapping[str, Handler],
                 verifier: auth.TokenVerifier, *, openapi: Callable[[], dict] | None = None,
                 stage: str = "local", region: str = "us-east-1", limiter: RateLimiter | None = None,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 concurrency: Mapping[str, int] | None = None,
                 environment: Callable[[str], Handler] | None = None,
                 service_limit: int | None = None):
        """`concurrency`: per service, how many invocations of its API handler run at once (default 1);
        `environment(service)`: a new environment of that handler, e.g. a ProcessHandler (without it, the
        handlers run in this process, one invocation at a time across all services: Powertools keeps the
        current event on a class attribute, so concurrent ones would read each other's claims)."""
        self.routes = RouteTable(routes)
        self._handlers = handlers
        self._verifier = verifier
        self._limiter = limiter
        self.max_body_bytes = max_body_bytes
        self._openapi = openapi
        self._openapi_doc: dict | None = None
        self._stage = stage
        self._region = region
        # Per service, up to its concurrency of environments of the handler, one invocation each at a time
        # (a resolver keeps the current event on its module-level app): smartpay_shared.local.environments.
        self._concurrency = dict(concurrency or {})
        self._environment = environment
        self._pools: dict[str, Environments] = {}
        self._pools_lock = threading.Lock()
        # Per service, requests inside at once (running or waiting for one of its environments): a waiting request
        # holds one of the server's threads, so one flooded service must not hold them all (None: no limit).
        self.service_limit = service_limit
        self._admitted: dict[str, threading.BoundedSemaphore] = {}
        self._in_process = threading.Lock()  # one in-process invocation at a time, whatever the service

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if not environ.get("wsgi.input_terminated", True):
            # cheroot sets it False for a body of known length; werkzeug reads the key's presence as True and
            # would pass a body cut short by a disconnect on as whole (without it: a 400, as before).
            del environ["wsgi.input_terminated"]
        request = Request(environ)
        # One byte over the limit: werkzeug cuts a chunked body (no Content-Length) at this length
        # without a word, so a body that reaches it is known to be too large (413), never truncated.
        request.max_content_length = self.max_body_bytes + 1
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        try:
            response, service, merchant = self._respond(request, request_id)
        except Exception:  # a gateway bug still answers JSON and still gets its access line
            log.exception("gateway failed on %s %s", request.method, pan.redact(request.path))
            response, service, merchant = problem_response(500, "the gateway failed"), None, None
        response.headers["X-Amzn-RequestId"] = request_id
        if self._body_left_unread(request):
            response.headers["Connection"] = "close"  # its rest is not a next request on this connection
        log.info(json.dumps({
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "level": "INFO",
            "message": "request", "request_id": request_id, "method": request.method,
            "path": pan.redact(request.path), "status": response.status_code, "service": service,
            "merchant_id": merchant, "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }))
        return response(environ, start_response)

    def _respond(self, request: Request, request_id: str) -> tuple[Response, str | None, str | None]:
        if request.method == "GET" and request.path in ("/health", "/openapi.json"):
            return (self._health() if request.path == "/health" else self._openapi_response()), None, None
        # Answers name the route template (`instance`), never the raw path: a path segment may be a
        # card number typed as an id, and an unknown path is the caller's text.
        resource: str | None = None

        def error(status: int, detail: str, headers: Mapping[str, str] | None = None, **kw: Any) -> Response:
            return problem_response(status, detail, headers, instance=resource, request_id=request_id, **kw)

        try:
            route, params = self.routes.match(request.method, request.path)
        except MethodNotAllowed as e:
            allowed = ", ".join(e.valid_methods or [])
            return error(405, f"{request.method} is not allowed on this resource (allowed: {allowed})",
                         {"Allow": allowed}), None, None
        except NotFound:
            return error(404, f"no route matches this {request.method} request"), None, None
        resource = route.resource
        try:
            claims = self._verifier.verify(auth.bearer_token(request.headers.get("Authorization")))
        except auth.AuthError as e:
            return error(401, str(e), {"WWW-Authenticate": 'Bearer error="invalid_token"'}), route.service, None
        except auth.KeysUnavailable as e:
            log.error(json.dumps({"message": str(e), "request_id": request_id}))
            return error(503, str(e)), route.service, None
        merchant = claims.get(MERCHANT_CLAIM)
        if self._limiter is not None:
            subject = str(merchant) if merchant else f"user:{claims.get('sub', '')}"
            decision = self._limiter.take(subject)
            if not decision.allowed:
                return error(429, f"more than {self._limiter.limit_per_second:g} requests a second for this "
                             f"merchant; retry in {decision.retry_after_seconds} s",
                             {"Retry-After": str(decision.retry_after_seconds)}, kind=problems.RATE_LIMITED,
                             retry_after_seconds=decision.retry_after_seconds), route.service, merchant
        if (request.content_length or 0) > self.max_body_bytes:
            return error(413, f"request body is {request.content_length} bytes; the limit is {self.max_body_bytes}",
                         kind=problems.BODY_TOO_LARGE), route.service, merchant
        try:
            if len(request.get_data()) > self.max_body_bytes:  # a chunked body: no length was announced
                return error(413, f"request body is over the limit of {self.max_body_bytes} bytes",
                             kind=problems.BODY_TOO_LARGE), route.service, merchant
            request.environ[_BODY_READ] = True
            event = proxy_event(request, route, params, claims, stage=self._stage, request_id=request_id)
        except HTTPException as e:  # 413 from the body limit when no Content-Length announced it
            kind = problems.BODY_TOO_LARGE if e.code == 413 else None
            return error(e.code or 400, e.description or e.name, kind=kind), route.service, merchant
        return self._invoke(route, event), route.service, merchant

    def _body_left_unread(self, request: Request) -> bool:
        """A body over the limit, or one sent chunked that the gateway answered without reading: the client's
        next request cannot follow on this connection (one within the limit, of a known length, the server
        reads past itself)."""
        if (request.content_length or 0) > self.max_body_bytes:
            return True
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        return chunked and not request.environ.get(_BODY_READ)

    def _invoke(self, route: GatewayRoute, event: dict[str, Any]) -> Response:
        context = LocalLambdaContext(function_name=f"smartpay-{route.service}-api", region=self._region)
        admitted = self._admission(route.service)
        if admitted is not None and not admitted.acquire(blocking=False):
            # As API Gateway answers a Lambda throttled at its reserved concurrency: 429, the client retries.
            return problem_response(429, f"the {route.service} API is busy ({self.service_limit} requests running "
                                    "or waiting for its environments); retry in 1 s", {"Retry-After": "1"},
                                    kind=problems.THROTTLED, instance=route.resource, retry_after_seconds=1,
                                    request_id=event["requestContext"]["requestId"])
        try:
            result = self._pool(route.service).invoke(event, context)
            return lambda_response(result)
        except Exception:  # API Gateway answers a failed integration with a bare 502
            log.exception("handler for %s %s failed", route.method, route.resource)
            return problem_response(502, "the service's handler failed", instance=route.resource,
                                    request_id=event["requestContext"]["requestId"])
        finally:
            if admitted is not None:
                admitted.release()

    def _admission(self, service: str) -> threading.BoundedSemaphore | None:
        if self.service_limit is None:
            return None
        with self._pools_lock:
            return self._admitted.setdefault(service, threading.BoundedSemaphore(self.service_limit))

    def _pool(self, service: str) -> Environments:
        with self._pools_lock:
            if service not in self._pools:
                if self._environment is None:
                    def in_process(event: dict[str, Any], context: Any, _service: str = service) -> Any:
                        with self._in_process:
                            return self._handlers[_service](event, context)
                    self._pools[service] = Environments(lambda: in_process, 1)
                else:
                    self._pools[service] = Environments(lambda: self._environment(service),
                                                        self._concurrency.get(service, 1))
            return self._pools[service]

    def _health(self) -> Response:
        routes = sorted(f"{r.method} {r.resource}" for r in self.routes)
        return Response(json.dumps({"status": "ok", "version": __version__, "routes": routes}),
                        content_type="application/json")

    def _openapi_response(self) -> Response:
        if self._openapi is None:
            return problem_response(404, "no OpenAPI document configured", instance="/openapi.json")
        if self._openapi_doc is None:
            self._openapi_doc = self._openapi()
        return Response(json.dumps(self._openapi_doc), content_type="application/json")


def create_gateway(settings: GatewaySettings, manifests: Mapping[str, Manifest] | None = None, *,
                   in_process: bool = False) -> Gateway:
    """The gateway as `make up` runs it: each API function's deployed concurrency and environment, read
    back from the emulator, in environment processes. `in_process`: the handlers run in this process, one
    at a time (a test that wired the services' adapters here, which a spawned environment would not see)."""
    manifests = all_manifests() if manifests is None else manifests
    handlers = LazyHandlers({m.service: m.api_handler for m in manifests.values() if m.api_handler})

    def openapi() -> dict:
        doc = merge_openapi(handlers.resolvers(), version=__version__)
        doc["info"]["x-service-versions"] = {m.service: m.version for m in manifests.values()}
        return doc

    if in_process:
        return Gateway(routes_from_manifests(manifests), handlers, settings.verifier(), openapi=openapi,
                       stage=settings.stage, region=settings.region, limiter=settings.limiter(),
                       max_body_bytes=settings.max_body_bytes)

    from smartpay_shared import aws
    from smartpay_shared.config import platform_settings

    apis = deployed_apis(manifests, aws.client("lambda", endpoint_url=settings.endpoint_url, region=settings.region),
                         platform_settings().name_prefix)
    concurrency = {service: api.concurrency for service, api in apis.items()}
    log.info(json.dumps({"message": "API functions as deployed", "concurrency": concurrency}))
    return Gateway(routes_from_manifests(manifests), handlers, settings.verifier(), openapi=openapi,
                   stage=settings.stage, region=settings.region, limiter=settings.limiter(),
                   max_body_bytes=settings.max_body_bytes, concurrency=concurrency,
                   environment=lambda service: ProcessHandler(handlers.ref(service), apis[service].environment),
                   service_limit=settings.service_limit())


# --- serving -----------------------------------------------------------------------------------

def _keep_alive_request_class() -> type:
    from cheroot.server import HTTPRequest

    class Request(HTTPRequest):
        """Closes the connection after an answer that says `Connection: close` (the gateway's word that the
        request's body was left unread: cheroot would otherwise read a chunked body's rest as the next request),
        lingering first (`_LingeringConnection`)."""

        def send_headers(self) -> None:
            if any(k.lower() == b"connection" and v.strip().lower() == b"close" for k, v in self.outheaders):
                self.close_connection = True
                self.conn.body_left_unread = True
            super().send_headers()

    return Request


def _connection_class(base: type) -> type:
    class LingeringConnection(base):  # type: ignore[misc, valid-type]
        """Closing after a body it left unread, first ends its own side (the answer is sent), then reads and drops
        what the client still sends until it closes, for at most LINGER_SECONDS / LINGER_MAX_BYTES: closed at
        once, the client still writing its body would get a broken pipe or a reset, never the 413."""

        RequestHandlerClass = _keep_alive_request_class()
        body_left_unread = False

        def close(self) -> None:
            if self.body_left_unread:
                _linger(self.socket)
            super().close()

    return LingeringConnection


def _linger(sock: Any) -> None:
    import socket

    try:
        sock.shutdown(socket.SHUT_WR)
        deadline, dropped = time.monotonic() + LINGER_SECONDS, 0
        while dropped < LINGER_MAX_BYTES and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                return  # the client closed: it has read the answer
            dropped += len(chunk)
    except OSError:  # a reset or a timeout: the close goes ahead
        return


class GatewayServer:
    """cheroot's HTTP/1.1 server over the gateway app (as moto's in smartpay_shared.local.moto_server): a client's
    connection serves its next requests (keep-alive, no cap on idle connections; one closed after
    IDLE_TIMEOUT_SECONDS idle), `threads` request threads (an idle connection holds none). Bound at once
    (port 0 picks a free one: `server_port`), serving from `serve_forever()` until `shutdown()`."""

    def __init__(self, app: Callable, host: str = "127.0.0.1", port: int = 0, threads: int = DEFAULT_THREADS):
        from cheroot import wsgi

        self._server = wsgi.Server((host, port), app, numthreads=threads, timeout=IDLE_TIMEOUT_SECONDS,
                                   request_queue_size=128)
        self._server.keep_alive_conn_limit = None
        self._server.ConnectionClass = _connection_class(wsgi.Server.ConnectionClass)
        self._server.prepare()

    @property
    def server_port(self) -> int:
        return self._server.bind_addr[1]

    def serve_forever(self) -> None:
        self._server.serve()

    def shutdown(self) -> None:
        self._server.stop()

    def server_close(self) -> None:
        self._server.stop()


def make_gateway_server(app: Callable, host: str = "127.0.0.1", port: int = 0,
                        threads: int = DEFAULT_THREADS) -> GatewayServer:
    """The gateway's HTTP/1.1 keep-alive server, bound, not yet serving (see `GatewayServer`)."""
    return GatewayServer(app, host, port, threads)


def serve(settings: GatewaySettings | None = None, *, app: Callable | None = None) -> None:
    """Serve until SIGINT/SIGTERM."""
    settings = settings or load_settings()
    server = make_gateway_server(app or create_gateway(settings), settings.host, settings.port, settings.threads)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so `finally` closes the socket
    log.info(json.dumps({"message": "gateway listening", "url": f"http://{settings.host}:{server.server_port}",
                         "user_pool_id": settings.user_pool_id, "client_id": settings.client_id}))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="SmartPay local API gateway")
    parser.add_argument("--host", help="default 127.0.0.1 (SMARTPAY_GATEWAY_HOST)")
    parser.add_argument("--port", type=int, help="default 8080 (SMARTPAY_GATEWAY_PORT)")
    parser.add_argument("--stack-file", type=Path, help="default .local/stack.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = load_settings(args.stack_file)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    try:
        app = create_gateway(settings)
    except ValueError as e:
        parser.error(str(e))
    serve(settings, app=app)


if __name__ == "__main__":
    main()
