"""The gateway's WSGI app with an injected route table and handlers: routing, the exact API Gateway
proxy event, auth before the handler, the handlers' own 422s, response mapping, the access log."""

import base64
import contextlib
import http.client
import json
import logging
import socket
import threading
import time

import pytest
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.test import Client

from smartpay_shared.api import build_resolver, is_admin, merchant_id
from smartpay_shared.local.auth import AuthError
from smartpay_shared.local.gateway import Gateway, GatewayRoute, LazyHandlers, RouteTable, make_gateway_server
from smartpay_shared.testing import merchant_claims

TOKEN = "good.id.token"
CLAIMS = {"sub": "u-1", "aud": "client-1", "token_use": "id", "exp": 1700000000, "iat": 1699996400,
          **merchant_claims("m_acme", "admin", token=True)}


class FakeVerifier:
    def verify(self, token):
        if token != TOKEN:
            raise AuthError("token is malformed")
        return dict(CLAIMS)


# A test-only service: a real Powertools resolver built like the services' own.
svc = build_resolver("test", "0.0.1")


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    quantity: int = Field(gt=0)


@svc.get("/whoami")
def whoami() -> dict:
    return {"merchant_id": merchant_id(svc), "admin": is_admin(svc)}


@svc.post("/items")
def create_item(item: ItemIn) -> dict:
    return {"merchant_id": merchant_id(svc), "item": item.model_dump()}


def svc_handler(event, context):
    return svc.resolve(event, context)


class Echo:
    """Records the event it was called with; answers with both header maps and a cookie pair."""

    def __init__(self):
        self.calls = []

    def __call__(self, event, context):
        self.calls.append((event, context))
        return {"statusCode": 201, "headers": {"X-Echo": "1", "Set-Cookie": "dropped=1"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": json.dumps({"ok": True})}


def boom(event, context):
    raise RuntimeError("handler bug")


ROUTES = [
    GatewayRoute("GET", "/whoami", "svc"),
    GatewayRoute("POST", "/items", "svc"),
    GatewayRoute("GET", "/echo/{item_id}", "echo"),
    GatewayRoute("POST", "/echo/{item_id}", "echo"),
    GatewayRoute("GET", "/echo/special", "special"),
    GatewayRoute("GET", "/boom", "boom"),
    GatewayRoute("GET", "/binary", "binary"),
    GatewayRoute("GET", "/malformed", "malformed"),
]


@pytest.fixture
def echo():
    return Echo()


@pytest.fixture
def client(echo):
    handlers = {
        "svc": svc_handler, "echo": echo, "special": echo, "boom": boom,
        "binary": lambda e, c: {"statusCode": 200, "headers": {"Content-Type": "image/png"},
                                "body": base64.b64encode(b"\x89PNG\x00").decode(), "isBase64Encoded": True},
        "malformed": lambda e, c: "not a proxy response",
    }
    gateway = Gateway(ROUTES, handlers, FakeVerifier(), openapi=lambda: {"openapi": "3.1.0"}, stage="local")
    return Client(gateway)


AUTH = {"Authorization": f"Bearer {TOKEN}"}


# --- routing -----------------------------------------------------------------------------------

def test_literal_segments_beat_path_parameters():
    table = RouteTable(ROUTES)
    assert table.match("GET", "/echo/special")[0].service == "special"
    route, params = table.match("GET", "/echo/it_1")
    assert (route.resource, params) == ("/echo/{item_id}", {"item_id": "it_1"})
    assert table.match("GET", "/whoami/")[0].resource == "/whoami"


def test_a_route_declared_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        RouteTable([GatewayRoute("GET", "/a", "one"), GatewayRoute("GET", "/a", "two")])


def test_unknown_path_is_a_json_404(client, echo):
    response = client.get("/nope", headers=AUTH)
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    assert {k: response.json[k] for k in ("type", "title", "status", "detail")} == {
        "type": "urn:smartpay:problem:not-found", "title": "Not Found", "status": 404,
        "detail": "no route matches this GET request"}
    assert "instance" not in response.json  # no route, no template: the raw path is never echoed
    assert response.json["request_id"] == response.headers["X-Amzn-RequestId"]


def test_wrong_method_is_a_json_405_with_allow(client):
    response = client.delete("/echo/it_1", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.json["status"] == 405


# --- auth --------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}])
def test_no_valid_token_is_a_401_and_the_handler_is_not_called(client, echo, headers):
    response = client.get("/echo/it_1", headers=headers)
    assert response.status_code == 401
    assert set(response.json) == {"type", "title", "status", "detail", "instance", "request_id"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert echo.calls == []


def test_health_and_openapi_need_no_token(client):
    assert client.get("/health").json["status"] == "ok"
    assert "GET /whoami" in client.get("/health").json["routes"]
    assert client.get("/openapi.json").json == {"openapi": "3.1.0"}


# --- the proxy event ---------------------------------------------------------------------------

def test_the_handler_gets_an_api_gateway_rest_proxy_event(client, echo):
    client.post("/echo/it_1?tag=a&tag=b&q=x", headers={**AUTH, "X-Custom": "v"}, data='{"k": 1}',
                content_type="application/json", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    (event, context), = echo.calls
    assert set(event) == {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                          "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                          "stageVariables", "requestContext", "body", "isBase64Encoded"}
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/echo/{item_id}", "/echo/it_1", "POST")
    assert event["pathParameters"] == {"item_id": "it_1"}
    assert event["queryStringParameters"] == {"tag": "b", "q": "x"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x"]}
    assert event["headers"]["X-Custom"] == "v"
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["headers"]["X-Forwarded-For"] == "10.1.2.3"
    assert event["multiValueHeaders"]["X-Custom"] == ["v"]
    assert event["stageVariables"] is None
    assert (event["body"], event["isBase64Encoded"]) == ('{"k": 1}', False)
    ctx = event["requestContext"]
    assert ctx["stage"] == "local" and ctx["path"] == "/local/echo/it_1"
    assert ctx["resourcePath"] == "/echo/{item_id}" and ctx["httpMethod"] == "POST"
    assert ctx["identity"]["sourceIp"] == "10.1.2.3"
    assert ctx["requestId"] and isinstance(ctx["requestTimeEpoch"], int)
    assert ctx["authorizer"]["claims"]["custom:merchant_id"] == "m_acme"
    assert ctx["authorizer"]["claims"]["exp"] == "Tue Nov 14 22:13:20 UTC 2023"  # as API Gateway writes it
    assert context.function_name == "smartpay-echo-api"
    assert context.get_remaining_time_in_millis() > 0


def test_no_query_no_path_params_no_body_are_nulls(client, echo):
    client.get("/echo/special", headers=AUTH)
    (event, _), = echo.calls
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert (event["body"], event["isBase64Encoded"]) == (None, False)


def test_a_binary_body_is_base64_encoded(client, echo):
    client.post("/echo/it_1", headers=AUTH, data=b"\xff\x00\xfe", content_type="application/octet-stream")
    (event, _), = echo.calls
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00\xfe"


# --- through a real resolver -------------------------------------------------------------------

def test_the_handler_sees_the_merchant_and_groups_from_the_verified_claims(client):
    response = client.get("/whoami", headers=AUTH)
    assert response.status_code == 200
    assert response.json == {"merchant_id": "m_acme", "admin": True}


@pytest.mark.parametrize("groups", [None, ["admin"], ["merchant:m_other"], ["merchant:m_other", "admin"]])
def test_a_merchant_claim_no_group_confirms_is_403_through_the_gateway(groups):
    """The gateway flattens the token's group list the way API Gateway does; the resolver still finds
    that the user is not in merchant:m_acme, and says so without repeating the claim."""

    class Unconfirmed(FakeVerifier):
        def verify(self, token):
            claims = {k: v for k, v in super().verify(token).items() if k != "cognito:groups"}
            return {**claims, **({"cognito:groups": groups} if groups is not None else {})}

    response = Client(Gateway(ROUTES, {"svc": svc_handler}, Unconfirmed())).get("/whoami", headers=AUTH)
    assert response.status_code == 403 and response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:smartpay:problem:merchant-unconfirmed"
    assert "m_acme" not in response.get_data(as_text=True)


def test_malformed_json_body_is_the_resolvers_400(client):
    response = client.post("/items", headers=AUTH, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert response.json["type"] == "urn:smartpay:problem:malformed-json"


def test_invalid_body_is_a_422_naming_the_fields(client):
    response = client.post("/items", headers=AUTH, json={"quantity": 0, "extra": 1})
    assert response.status_code == 422
    locs = {tuple(d["loc"]): d["type"] for d in response.json["errors"]}
    assert locs == {("body", "name"): "missing", ("body", "quantity"): "greater_than",
                    ("body", "extra"): "extra_forbidden"}


def test_a_valid_body_reaches_the_route(client):
    response = client.post("/items", headers=AUTH, json={"name": "pen", "quantity": 2})
    assert response.json == {"merchant_id": "m_acme", "item": {"name": "pen", "quantity": 2}}


# --- responses ---------------------------------------------------------------------------------

def test_multi_value_headers_win_over_headers_of_the_same_name(client):
    response = client.get("/echo/it_1", headers=AUTH)
    assert response.status_code == 201
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["X-Echo"] == "1"
    assert response.headers["X-Amzn-RequestId"]


def test_a_base64_response_is_decoded(client):
    response = client.get("/binary", headers=AUTH)
    assert (response.data, response.headers["Content-Type"]) == (b"\x89PNG\x00", "image/png")


@pytest.mark.parametrize("path", ["/boom", "/malformed"])
def test_a_failing_or_malformed_handler_is_a_502(client, path):
    response = client.get(path, headers=AUTH)
    assert response.status_code == 502
    assert (response.content_type, response.json["status"]) == ("application/problem+json", 502)
    assert response.json["detail"] == "the service's handler failed"


def test_one_json_access_line_per_request_without_the_token(client, caplog):
    with caplog.at_level(logging.INFO, logger="smartpay.gateway"):
        client.get("/whoami?x=1", headers=AUTH)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "smartpay.gateway"]
    assert len(lines) == 1
    line = lines[0]
    assert {k: line[k] for k in ("method", "path", "status", "service", "merchant_id")} == {
        "method": "GET", "path": "/whoami", "status": 200, "service": "svc", "merchant_id": "m_acme"}
    assert isinstance(line["latency_ms"], float)
    assert TOKEN not in caplog.text


def test_one_service_handles_one_request_at_a_time_like_a_warm_lambda():
    """Resolvers keep the current event on a module-level app: overlapping calls would mix claims."""
    active, peak, lock = [0], [0], threading.Lock()

    def slow(event, context):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        with lock:
            active[0] -= 1
        return {"statusCode": 200, "body": "{}"}

    gateway = Gateway([GatewayRoute("GET", "/slow", "slow")], {"slow": slow}, FakeVerifier())
    threads = [threading.Thread(target=lambda: Client(gateway).get("/slow", headers=AUTH)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1


def test_a_flooded_service_is_throttled_past_its_limit_and_never_holds_up_another():
    """A request waiting for a busy environment holds one of the server's threads: past `service_limit` requests
    of one service inside at once, the gateway answers 429 (as API Gateway does for a throttled Lambda) at once,
    and another service's request still runs while the flooded one's are held."""
    release, inside = threading.Event(), threading.Semaphore(0)

    def held(event, context):
        inside.release()
        release.wait(10)
        return {"statusCode": 200, "body": "{}"}

    def quick(event, context):
        return {"statusCode": 200, "body": "{}"}

    gateway = Gateway([GatewayRoute("GET", "/held", "held"), GatewayRoute("GET", "/quick", "quick")],
                      {"held": held, "quick": quick}, FakeVerifier(), concurrency={"held": 1, "quick": 1},
                      environment=lambda service: {"held": held, "quick": quick}[service], service_limit=3)
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(Client(gateway).get("/held", headers=AUTH).status_code))
               for _ in range(3)]
    for t in threads:
        t.start()
    assert inside.acquire(timeout=10)  # one runs, two wait for the environment: the limit of 3 reached
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and gateway._admitted["held"]._value:  # the two others admitted
        time.sleep(0.01)
    throttled = Client(gateway).get("/held", headers=AUTH)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    body = throttled.get_json()
    assert body["type"] == "urn:smartpay:problem:throttled" and body["instance"] == "/held"
    assert Client(gateway).get("/quick", headers=AUTH).status_code == 200  # another service is not held up
    release.set()
    for t in threads:
        t.join(10)
    assert sorted(answers) == [200, 200, 200]  # those admitted all ran


def test_handlers_are_imported_on_first_use_and_once():
    handlers = LazyHandlers({"json": "json:dumps"})
    assert handlers._loaded == {}
    assert handlers["json"] is json.dumps
    assert handlers["json"] is handlers["json"]
    assert list(handlers) == ["json"] and len(handlers) == 1


def test_a_body_over_the_limit_is_a_413_problem(echo):
    gateway = Gateway(ROUTES, {"echo": echo}, FakeVerifier(), max_body_bytes=16)
    response = Client(gateway).post("/echo/it_1", headers=AUTH, data=b"x" * 17)
    assert response.status_code == 413
    assert response.json["type"] == "urn:smartpay:problem:body-too-large"
    assert echo.calls == []
    assert Client(gateway).post("/echo/it_1", headers=AUTH, data=b"x" * 16).status_code == 201


@contextlib.contextmanager
def served(gateway):
    """The gateway on its HTTP/1.1 server, on a free port."""
    server = make_gateway_server(gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize(("size", "status"), [(17, 413), (16, 201), (300_000, 413), (4_000_000, 413)])
def test_a_chunked_body_over_the_limit_is_a_413_never_truncated(echo, size, status):
    # No Content-Length: werkzeug would cut the body at the limit and pass the rest on as if whole.
    gateway = Gateway(ROUTES, {"echo": echo}, FakeVerifier(), max_body_bytes=16)
    with served(gateway) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        chunks = (b"x" * min(1000, size - i) for i in range(0, size, 1000))
        conn.request("POST", "/echo/it_1", body=chunks, encode_chunked=True, headers=AUTH)
        response = conn.getresponse()
        assert response.status == status
        if status == 413:
            assert json.loads(response.read())["type"] == "urn:smartpay:problem:body-too-large"
            assert echo.calls == []
        else:
            assert echo.calls[0][0]["body"] == "x" * size


# --- the connection: HTTP/1.1 keep-alive -------------------------------------------------------------

def _ask(conn, method, path, body=None, headers=AUTH, **kw):
    conn.request(method, path, body=body, headers=headers, **kw)
    response = conn.getresponse()
    return response, response.read()


def test_a_client_connection_serves_its_next_requests(echo):
    gateway = Gateway(ROUTES, {"echo": echo}, FakeVerifier())
    with served(gateway) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        first, _ = _ask(conn, "POST", "/echo/it_1", b'{"n": 1}')
        sock = conn.sock
        answers = [_ask(conn, *call) for call in
                   [("GET", "/echo/it_2"), ("POST", "/echo/it_3", b'{"n": 3}'), ("GET", "/nope"),
                    ("GET", "/echo/it_4", None, {}), ("POST", "/echo/it_5", b"x", AUTH, )]]
        assert first.version == 11 and first.status == 201 and first.getheader("Connection") is None
        assert [r.status for r, _ in answers] == [201, 201, 404, 401, 201]
        assert conn.sock is sock  # no new connection: http.client would have opened one after a close
        assert [e["body"] for e, _ in echo.calls] == ['{"n": 1}', None, '{"n": 3}', "x"]
        ids = {r.getheader("X-Amzn-RequestId") for r, _ in [(first, None), *answers]}
        assert len(ids) == 6  # one request id per request, not per connection


@pytest.mark.parametrize("chunked_too", [False, True])
def test_a_chunked_body_read_in_full_keeps_the_connection(echo, chunked_too):
    gateway = Gateway(ROUTES, {"echo": echo}, FakeVerifier(), max_body_bytes=16)
    with served(gateway) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        response, _ = _ask(conn, "POST", "/echo/it_1", iter([b"abc", b"def"]), encode_chunked=True)
        sock = conn.sock
        body = iter([b"gh", b"i"]) if chunked_too else b"ghi"
        again, _ = _ask(conn, "POST", "/echo/it_2", body, encode_chunked=chunked_too)
        assert (response.status, again.status) == (201, 201) and conn.sock is sock
        assert [e["body"] for e, _ in echo.calls] == ["abcdef", "ghi"]


@pytest.mark.parametrize(("headers", "status"), [({}, 401), (AUTH, 413)])
def test_a_chunked_body_left_unread_closes_the_connection(echo, headers, status):
    # cheroot would read the body's rest as the client's next request: the answer closes the connection.
    gateway = Gateway(ROUTES, {"echo": echo}, FakeVerifier(), max_body_bytes=16)
    with served(gateway) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        chunks = iter([b"x" * 10] * 5)
        response, _ = _ask(conn, "POST", "/echo/it_1", chunks, headers, encode_chunked=True)
        assert response.status == status and response.getheader("Connection") == "close"
        assert response.will_close
        again, _ = _ask(conn, "GET", "/echo/it_2")  # http.client opens a new connection
        assert again.status == 201 and echo.calls[-1][0]["path"] == "/echo/it_2"


def test_a_body_announced_over_the_limit_closes_the_connection_whatever_the_answer(echo):
    gateway = Gateway(ROUTES, {"echo": echo}, FakeVerifier(), max_body_bytes=16)
    with served(gateway) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        response, _ = _ask(conn, "POST", "/echo/it_1", b"x" * 17, {})
        assert response.status == 401 and response.getheader("Connection") == "close"
        assert echo.calls == []


def test_a_body_cut_short_by_the_client_never_reaches_the_handler(echo):
    gateway = Gateway(ROUTES, {"echo": echo}, FakeVerifier())
    with served(gateway) as port, socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /echo/it_1 HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH["Authorization"].encode()
                     + b"\r\nContent-Length: 100\r\n\r\n" + b'{"amount": 1')
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(65536)
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400") and echo.calls == []


# --- no card number echoed -------------------------------------------------------------------------

CARD = "4242424242424242"


@pytest.mark.parametrize("path", [f"/nope/{CARD}", f"/echo/{CARD}", f"/boom/{CARD}", "/nope/4242.4242.4242.4242"])
def test_a_card_number_in_the_path_is_in_no_answer_and_no_access_line(client, caplog, path):
    """A card typed as an id: the 404/405/401 answers carry the route template, never the path."""
    with caplog.at_level(logging.INFO, logger="smartpay.gateway"):
        answers = [client.get(path, headers=AUTH), client.delete(path, headers=AUTH), client.get(path)]
    for response in answers:
        assert "4242" not in response.get_data(as_text=True)
        if response.status_code >= 400:
            assert response.json.get("instance") in (None, "/echo/{item_id}")
    assert "4242" not in caplog.text


def test_a_handler_failure_names_the_route_template(client):
    response = client.get("/boom", headers=AUTH)
    assert response.status_code == 502 and response.json["instance"] == "/boom"
