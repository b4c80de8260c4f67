"""What every service's API Lambda shares: a validating resolver with a request body limit, the
caller's merchant and roles from the verified token claims, and one error format (RFC 9457 problem
details, `smartpay_shared.problems`) for every 4xx/5xx it answers, whoever produced it.

The caller's merchant is the `custom:merchant_id` claim **confirmed** by membership of the Cognito
group `merchant:<merchant_id>`, which only an operator assigns (`smartpay auth create-user`): a user
pool attribute is a user's to write wherever the app client's write list is not enforced, a group
membership has no user-facing API at all."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import ServiceError, UnauthorizedError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from smartpay_shared import card_guard, pan, problems, request_body
from smartpay_shared.config import DEFAULT_MAX_BODY_BYTES, ApiSettings, from_environ
from smartpay_shared.ratelimit import RateLimiter, RedisTokenBucket

MERCHANT_CLAIM = "custom:merchant_id"
GROUPS_CLAIM = "cognito:groups"
ADMIN_GROUP = "admin"
# A merchant user is in exactly one group `merchant:<merchant_id>`. Merchant ids are
# [A-Za-z0-9_-]{1,64} (smartpay_shared.events.payloads.MerchantId), so the name is at most 73
# characters of Cognito's group-name alphabet ([\p{L}\p{M}\p{S}\p{N}\p{P}]+, 1-128), and it
# holds no comma or space: API Gateway's flattened `cognito:groups` string splits cleanly.
MERCHANT_GROUP_PREFIX = "merchant:"

log = logging.getLogger("smartpay.api")


class Problem(ServiceError):
    """An error answer with a problem type of its own (`urn:smartpay:problem:<kind>`)."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None,
                 headers: Mapping[str, str] | None = None, **extensions: Any):
        super().__init__(status, detail)
        self.kind = kind
        self.headers = dict(headers or {})
        self.extensions = extensions


class Unavailable(Problem):
    """503 for a dependency that failed: the caller gets a fixed detail (`what` is unavailable), the
    cause (an exception's text may name hosts, tables, internals) goes to the log only."""

    def __init__(self, what: str, cause: BaseException | str | None = None, *, retry_after_seconds: int | None = None):
        if cause is not None:
            # No traceback: its text would repeat the cause unredacted.
            kind = type(cause).__name__ if isinstance(cause, BaseException) else "error"
            log.error("%s unavailable: %s: %s", what, kind, pan.redact(str(cause)))
        headers = {"Retry-After": str(retry_after_seconds)} if retry_after_seconds else None
        super().__init__(503, f"{what} is unavailable right now; retry later", headers=headers,
                         retry_after_seconds=retry_after_seconds)


class NotImplementedYet(Problem):
    """A loud placeholder: the route exists in the contract but its service has not shipped it."""

    def __init__(self, what: str, issue: str):
        super().__init__(501, f"{what} is not implemented yet ({issue})")


class SmartPayResolver(APIGatewayRestResolver):
    """Powertools' REST resolver, plus: a body over `max_body_bytes` is a 413 before any route runs,
    and every 4xx/5xx leaves as `application/problem+json`, including the bodies a service's own
    exception handlers build in the older `{"statusCode", "message"}` shape."""

    def __init__(self, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, limiter: RateLimiter | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.max_body_bytes = max_body_bytes
        self.limiter = limiter

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        raw = getattr(event, "raw_event", event)
        size = body_size(raw)
        limited = self._rate_limited(raw)
        if limited is not None:
            result = limited
        elif size > self.max_body_bytes:
            result = problem_result(413, f"request body is {size} bytes; the limit is {self.max_body_bytes}",
                                    kind=problems.BODY_TOO_LARGE)
        elif (refusal := request_body.check(raw)) is not None:
            # Powertools would answer these 500 (unsupported content type, RecursionError, a surrogate
            # that fails only when stored): they are the caller's fault, refused before any route runs.
            result = problem_result(refusal.status, refusal.detail, kind=refusal.kind, errors=refusal.errors)
        else:
            request_body.normalise_content_type(raw)
            result = card_guard.request_problem(raw) or super().resolve(event, context)
        return as_problem_result(result, raw)


    def _rate_limited(self, event: Any) -> dict[str, Any] | None:
        """The per-merchant token bucket (smartpay_shared.ratelimit), spent before any route runs:
        a 429 problem with Retry-After once the caller's merchant has used its burst."""
        subject = rate_limit_subject(event)
        if self.limiter is None or subject is None:
            return None
        decision = self.limiter.take(subject)
        if decision.allowed:
            return None
        wait = decision.retry_after_seconds
        result = problem_result(429, f"more than {self.limiter.limit_per_second:g} requests a second for this "
                                f"merchant; retry in {wait} s", kind=problems.RATE_LIMITED, retry_after_seconds=wait)
        result["headers"]["Retry-After"] = str(wait)
        return result


def limiter_from_env(environ: Mapping[str, str] | None = None) -> RateLimiter | None:
    """`SMARTPAY_API_RATE_LIMIT_PER_SECOND` (and `_BURST`) with Redis at `SMARTPAY_API_REDIS_URL`
    (ElastiCache in AWS), from ApiSettings: the same per-merchant limit as the local gateway's. `environ`:
    read that mapping instead of the process environment."""
    settings = ApiSettings() if environ is None else from_environ(ApiSettings, dict(environ))
    return limiter_from_settings(settings)


def limiter_from_settings(settings: ApiSettings) -> RateLimiter | None:
    if settings.rate_limit_per_second <= 0:
        return None
    assert settings.redis_url  # ApiSettings refuses a rate without one
    return RedisTokenBucket.from_url(settings.redis_url, rate=settings.rate_limit_per_second, burst=settings.burst)


def rate_limit_subject(event: Any) -> str | None:
    """Who a request is counted against: the verified merchant claim, else the user (`sub`); None
    without verified claims (API Gateway refused those already). The claim as it is, before
    `merchant_id` checks the operator's group (the bucket is spent before any route runs): only
    where a user could write its own attribute (an emulator that ignores the app client's write
    list) could it spend another merchant's bucket, and every such request is then a 403."""
    context = event.get("requestContext") if isinstance(event, Mapping) else None
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    if not isinstance(authorizer, Mapping):
        return None
    found = authorizer.get("claims")
    if not isinstance(found, Mapping) and isinstance(authorizer.get("jwt"), Mapping):
        found = authorizer["jwt"].get("claims")
    if not isinstance(found, Mapping):
        return None
    if found.get(MERCHANT_CLAIM):
        return str(found[MERCHANT_CLAIM])
    return f"user:{found['sub']}" if found.get("sub") else None


def build_resolver(title: str, version: str, *, max_body_bytes: int | None = None,
                   limiter: RateLimiter | None = None) -> SmartPayResolver:
    settings = ApiSettings()  # read once per cold start: build_resolver runs at import
    if max_body_bytes is None:
        max_body_bytes = settings.max_body_bytes
    if limiter is None:
        limiter = limiter_from_settings(settings)
    app = SmartPayResolver(enable_validation=True, max_body_bytes=max_body_bytes, limiter=limiter)

    @app.exception_handler(RequestValidationError)
    def _invalid(exc: RequestValidationError) -> Response:
        errors = problems.field_errors(exc.errors())
        return _problem(problems.problem(422, problems.validation_detail(errors), kind=problems.VALIDATION,
                                         errors=errors))

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(exc: RequestUnsupportedContentType) -> Response:
        # A backstop: request_body.check answers these before any route runs.
        return _problem(problems.problem(415, f"the request body must be {request_body.JSON_MEDIA_TYPE}",
                                         kind=request_body.UNSUPPORTED_MEDIA_TYPE))

    @app.exception_handler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        extra = getattr(exc, "extensions", {})
        return _problem(problems.problem(exc.status_code, exc.msg, kind=getattr(exc, "kind", None), **extra),
                        getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The details stay in the log; the caller learns only that it was not its fault.
        log.error("unhandled %s in %s", type(exc).__name__, title, exc_info=exc)
        return _problem(problems.problem(500, "the service failed to answer; retry later"))

    return app


def _problem(body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    return Response(status_code=body["status"], content_type=problems.PROBLEM_JSON,
                    body=problems.dumps(body), headers=dict(headers or {}))


def problem_result(status: int, detail: str, **kwargs: Any) -> dict[str, Any]:
    """A Lambda proxy response carrying a problem."""
    return {"statusCode": status, "headers": {"Content-Type": problems.PROBLEM_JSON},
            "body": problems.dumps(problems.problem(status, detail, **kwargs)), "isBase64Encoded": False}


def as_problem_result(result: dict[str, Any], event: Mapping[str, Any] | None) -> dict[str, Any]:
    """Any 4xx/5xx proxy response -> problem details (with `instance` and `request_id`)."""
    status = int(result.get("statusCode") or 0)
    if status < 400:
        return result
    event = event if isinstance(event, Mapping) else {}
    # The route template, never the raw path: a path segment may be a card number typed as an id.
    instance = event.get("resource") if isinstance(event.get("resource"), str) else None
    context = event.get("requestContext") if isinstance(event.get("requestContext"), Mapping) else {}
    request_id = context.get("requestId") if isinstance(context.get("requestId"), str) else None
    try:
        raw = result.get("body") or ""
        text = base64.b64decode(raw).decode() if result.get("isBase64Encoded") else str(raw)
        body = json.loads(text) if text else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        body = None
    headers = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if problems.is_problem(headers) or problems.is_problem(multi):
        out = dict(body) if isinstance(body, dict) else problems.problem(status)
        if instance:
            out.setdefault("instance", instance)
        if request_id:
            out.setdefault("request_id", request_id)
    else:
        out = problems.legacy_to_problem(status, body, instance=instance, request_id=request_id)
    new = {**result, "body": problems.dumps(out), "isBase64Encoded": False}
    new["headers"] = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    new["headers"]["Content-Type"] = problems.PROBLEM_JSON
    if multi:
        new["multiValueHeaders"] = {k: v for k, v in multi.items() if k.lower() != "content-type"}
        new["multiValueHeaders"]["Content-Type"] = [problems.PROBLEM_JSON]
    return new


def body_size(event: Any) -> int:
    if not isinstance(event, Mapping) or not isinstance(event.get("body"), str):
        return 0
    body = event["body"]
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode("utf-8"))


# --- the caller ----------------------------------------------------------------------------------

def claims(app: APIGatewayRestResolver) -> dict[str, Any]:
    """Claims the gateway verified (API Gateway's Cognito authorizer puts them in the same place)."""
    authorizer = app.current_event.request_context.authorizer
    raw = (authorizer.raw_event if authorizer else {}) or {}
    found = raw.get("claims")
    if not isinstance(found, dict):
        raise UnauthorizedError("no verified token claims on the request")
    return found


def merchant_group(merchant: str) -> str:
    """The Cognito group that confirms `merchant` (`merchant:<merchant_id>`)."""
    return MERCHANT_GROUP_PREFIX + merchant


def merchant_id(app: APIGatewayRestResolver) -> str:
    """The caller's merchant: only ever from the verified token, never from the body, and only when an
    operator confirmed it. A verified token without the claim (an operator's admin-only user) may not
    act for any merchant: 403 merchant-required. A claim that the token's groups do not confirm (the
    user is not in `merchant:<claim>`, or is in any other merchant's group too) is 403
    merchant-unconfirmed: the attribute was written by someone other than the admin path (a user's
    own UpdateUserAttributes, a self sign-up) or the operator's assignment is ambiguous. The detail
    never repeats the claim."""
    found = claims(app)
    merchant = found.get(MERCHANT_CLAIM)
    if not merchant:
        raise Problem(403, f"this route acts for a merchant and the token has no {MERCHANT_CLAIM} claim",
                      kind=problems.MERCHANT_REQUIRED)
    merchant = str(merchant)
    confirmed = {g for g in groups_of(found) if g.startswith(MERCHANT_GROUP_PREFIX)}
    if confirmed != {merchant_group(merchant)}:
        raise Problem(403, f"this route acts for a merchant and the token's {MERCHANT_CLAIM} is not confirmed: "
                      f"an operator must put the user in that merchant's group ({MERCHANT_GROUP_PREFIX}<merchant_id>, "
                      "`smartpay auth create-user --merchant-id`), and in no other merchant's",
                      kind=problems.MERCHANT_UNCONFIRMED)
    return merchant


def groups_of(found: Mapping[str, Any]) -> set[str]:
    """The `cognito:groups` of verified claims, as a list (the token) or flattened to a string (API
    Gateway: "a,b" or "[a b]")."""
    value = found.get(GROUPS_CLAIM) or []
    if isinstance(value, str):
        value = value.strip().strip("[]").replace(",", " ").split()
    elif not isinstance(value, list | tuple | set | frozenset):
        value = [value]
    return {str(g) for g in value}


def groups(app: APIGatewayRestResolver) -> set[str]:
    return groups_of(claims(app))


def is_admin(app: APIGatewayRestResolver) -> bool:
    return ADMIN_GROUP in groups(app)


def require_admin(app: APIGatewayRestResolver) -> None:
    """For an operator route (none is served over HTTP today): 403 unless the token is in `admin`."""
    if not is_admin(app):
        raise Problem(403, f"this route is for operators: the token is not in the {ADMIN_GROUP!r} group",
                      kind=problems.ADMIN_REQUIRED)
