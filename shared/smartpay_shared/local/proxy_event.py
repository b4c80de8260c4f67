"""HTTP request <-> API Gateway REST (v1) Lambda proxy event and response, as a Cognito-authorized
method sees them."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from smartpay_shared import problems
from smartpay_shared.local import auth
from smartpay_shared.local.routes import GatewayRoute

ACCOUNT_ID = "123456789012"
API_ID = "smartpaylc"


def proxy_event(request: Request, route: GatewayRoute, path_params: Mapping[str, str],
                claims: Mapping[str, Any], *, stage: str, request_id: str) -> dict[str, Any]:
    """The API Gateway REST (v1) Lambda proxy event, as a Cognito-authorized method receives it."""
    headers, multi_headers = _headers(request)
    body, is_base64 = _body(request.get_data())
    now = time.time()
    host = request.host.split(":")[0]
    return {
        "resource": route.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in request.args.lists()} or None,
        "multiValueQueryStringParameters": dict(request.args.lists()) or None,
        "pathParameters": dict(path_params) or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": hashlib.sha1(route.resource.encode()).hexdigest()[:6],  # noqa: S324
            "resourcePath": route.resource,
            "httpMethod": request.method,
            "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:12]).decode(),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{request.path}",
            "accountId": ACCOUNT_ID,
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "stage": stage,
            "domainPrefix": host.split(".")[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": _identity(request),
            "domainName": host,
            "apiId": API_ID,
            "authorizer": {"claims": auth.authorizer_claims(dict(claims))},
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _headers(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    # WSGI has already folded repeated request headers into one comma-joined value.
    multi: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        multi.setdefault(name, []).append(value)
    forwarded = [*multi.get("X-Forwarded-For", []), request.remote_addr or "127.0.0.1"]
    multi["X-Forwarded-For"] = [", ".join(forwarded)]
    multi.setdefault("X-Forwarded-Proto", [request.scheme])
    multi.setdefault("X-Forwarded-Port", [str(request.server[1]) if request.server and request.server[1] else "80"])
    multi.setdefault("X-Amzn-Trace-Id", [f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"])
    return {name: values[-1] for name, values in multi.items()}, multi


def _identity(request: Request) -> dict[str, Any]:
    nulls = ("cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "principalOrgId",
             "accessKey", "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user")
    return {**dict.fromkeys(nulls), "sourceIp": request.remote_addr or "127.0.0.1",
            "userAgent": request.headers.get("User-Agent")}


def _body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def lambda_response(result: Any) -> Response:
    """A proxy integration response -> HTTP, merging headers the way API Gateway does
    (a name in multiValueHeaders wins over the same name in headers)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise ValueError("malformed Lambda proxy response")
    multi = {name: [str(v) for v in values] for name, values in (result.get("multiValueHeaders") or {}).items()}
    taken = {name.lower() for name in multi}
    headers = Headers([(k, str(v)) for k, v in (result.get("headers") or {}).items() if k.lower() not in taken])
    for name, values in multi.items():
        for value in values:
            headers.add(name, value)
    headers.setdefault("Content-Type", "application/json")
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return Response(data, status=int(result["statusCode"]), headers=headers)


def problem_response(status: int, detail: str, headers: Mapping[str, str] | None = None, *,
                     kind: str | None = None, instance: str | None = None, **extensions: Any) -> Response:
    """The gateway's own errors, as RFC 9457 problem details like the handlers' (smartpay_shared.problems)."""
    body = problems.dumps(problems.problem(status, detail, kind=kind, instance=instance, **extensions))
    return Response(body, status=status, headers=dict(headers or {}), content_type=problems.PROBLEM_JSON)
