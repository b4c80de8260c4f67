"""One error format: every 4xx/5xx a resolver built by build_resolver answers is RFC 9457 problem
details, whoever produced it (validation, a ServiceError, a service's own old-style handler, an
unhandled exception, the body limit, the merchant/admin checks), and no field error quotes its input."""

import json

import pytest
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartpay_shared import problems
from smartpay_shared.api import build_resolver, merchant_id, require_admin
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.testing import merchant_claims

PAN = "4242424242424242"


class Legacy(Exception):
    pass


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: int = Field(gt=0)
    token: str = Field(pattern=r"^pm_[a-z]+$")
    note: str | None = Field(default=None, max_length=8)

    @field_validator("note")
    @classmethod
    def _no_digits(cls, value):
        if value and any(c.isdigit() for c in value):
            raise ValueError(f"note {value} has digits")  # a careless message quoting the input
        return value


app = build_resolver("probe", "0", max_body_bytes=200)


@app.exception_handler(Legacy)
def _legacy(exc):
    return Response(409, "application/json", {"statusCode": 409, "message": "already done", "code": "dup"})


@app.post("/items")
def create(item: Item) -> dict:
    return {"merchant": merchant_id(app)}


@app.get("/admin-only")
def admin_only() -> dict:
    require_admin(app)
    return {"ok": True}


@app.get("/missing")
def missing() -> dict:
    raise NotFoundError("item it_1 not found")


@app.get("/legacy")
def legacy() -> dict:
    raise Legacy()


@app.get("/crash")
def crash() -> dict:
    raise RuntimeError(f"secret detail {PAN}")


def call(method, path, body=None, claims=None, raw=None):
    claims = {**merchant_claims("m_acme"), "token_use": "id"} if claims is None else claims
    event = {"resource": path, "path": path, "httpMethod": method, "headers": {"Content-Type": "application/json"},
             "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": None, "stageVariables": None, "isBase64Encoded": False,
             "body": raw if raw is not None else (json.dumps(body) if body is not None else None),
             "requestContext": {"resourcePath": path, "httpMethod": method, "stage": "local", "requestId": "req-1",
                                "identity": {"sourceIp": "127.0.0.1"}, "authorizer": {"claims": claims}}}
    result = app.resolve(event, LocalLambdaContext("probe"))
    headers = {**{k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}, **(result.get("headers") or {})}
    return result["statusCode"], headers, json.loads(result["body"])


def assert_problem(status, headers, body, expected_status, kind):
    assert status == expected_status
    assert headers["Content-Type"] == problems.PROBLEM_JSON
    assert body["type"] == problems.TYPE_PREFIX + kind
    assert body["status"] == expected_status
    assert body["title"] and body["detail"]
    assert body["instance"].startswith("/") and body["request_id"] == "req-1"
    assert "statusCode" not in body and "message" not in body


def test_validation_errors_are_a_422_problem_with_field_paths():
    status, headers, body = call("POST", "/items", {"amount": 0, "token": "x", "extra": 1})
    assert_problem(status, headers, body, 422, "validation-error")
    assert {(tuple(e["loc"]), e["type"]) for e in body["errors"]} == {
        (("body", "amount"), "greater_than"), (("body", "token"), "string_pattern_mismatch"),
        (("body", "extra"), "extra_forbidden")}
    assert {e["pointer"] for e in body["errors"]} == {"#/amount", "#/token", "#/extra"}
    assert all(e["detail"] for e in body["errors"])


def test_no_field_error_quotes_the_input():
    status, _, body = call("POST", "/items", {"amount": PAN, "token": PAN, "note": f"x{PAN}", PAN: 1,
                                              "4242 4242 4242 4242": 2})
    assert status == 422
    assert PAN not in json.dumps(body) and "4242 4242" not in json.dumps(body)
    assert ["body", "<redacted>"] in [e["loc"] for e in body["errors"]]  # an unknown key that was a PAN
    status, _, body = call("POST", "/items", {"amount": 1, "token": "pm_card", "note": "ab1234"})
    assert body["errors"] == [{"loc": ["body", "note"], "type": "value_error", "detail": "invalid value",
                               "pointer": "#/note"}]  # the validator's message quoted the value: replaced


def test_malformed_json_is_a_400_problem():
    status, headers, body = call("POST", "/items", raw='{"amount": ')
    assert_problem(status, headers, body, 400, "malformed-json")


def test_a_token_without_a_merchant_is_403_not_500():
    status, headers, body = call("POST", "/items", {"amount": 1, "token": "pm_card"},
                                 claims={"token_use": "id", "cognito:groups": "admin"})
    assert_problem(status, headers, body, 403, "merchant-required")


@pytest.mark.parametrize(("groups", "expected"), [("admin", 200), ("ops,admin", 200), ("[ops admin]", 200),
                                                  ("ops", 403), (None, 403)])
def test_require_admin(groups, expected):
    claims = {"custom:merchant_id": "m_acme", "token_use": "id", **({"cognito:groups": groups} if groups else {})}
    status, headers, body = call("GET", "/admin-only", claims=claims)
    assert status == expected
    if expected == 403:
        assert_problem(status, headers, body, 403, "admin-required")


def test_service_errors_and_old_style_bodies_become_problems():
    assert_problem(*call("GET", "/missing"), 404, "not-found")
    assert call("GET", "/missing")[2]["detail"] == "item it_1 not found"
    status, headers, body = call("GET", "/legacy")
    assert_problem(status, headers, body, 409, "conflict")
    assert (body["detail"], body["code"]) == ("already done", "dup")  # other members kept as extensions


def test_an_unknown_route_is_a_404_problem():
    assert_problem(*call("GET", "/nowhere"), 404, "not-found")


def test_an_unhandled_exception_is_a_500_problem_without_its_details(caplog):
    status, headers, body = call("GET", "/crash")
    assert_problem(status, headers, body, 500, "internal-server-error")
    assert "secret" not in json.dumps(body) and "RuntimeError" not in json.dumps(body)
    assert "unhandled RuntimeError" in caplog.text


def test_a_body_over_the_limit_is_a_413_before_validation():
    status, headers, body = call("POST", "/items", raw=json.dumps({"amount": 1, "token": "pm_" + "a" * 300}))
    assert_problem(status, headers, body, 413, "body-too-large")


def test_success_is_untouched():
    status, headers, body = call("POST", "/items", {"amount": 1, "token": "pm_card"})
    assert (status, body) == (200, {"merchant": "m_acme"})
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(("legacy", "expected"), [
    ({"statusCode": 422, "message": "no eligible gateway", "reasons": {"stripe": "down"}},
     {"detail": "no eligible gateway", "reasons": {"stripe": "down"}, "errors": []}),
    ({"statusCode": 422, "message": "currency not supported", "field": "currency"},
     {"detail": "currency not supported", "errors": [{"loc": ["body", "currency"], "type": "value_error",
                                                      "detail": "currency not supported", "pointer": "#/currency"}]}),
    ({"statusCode": 422, "detail": [{"loc": ["body", "amount"], "msg": "too much"}]},
     {"detail": "1 invalid field(s): body.amount",
      "errors": [{"loc": ["body", "amount"], "type": "value_error", "detail": "too much", "pointer": "#/amount"}]}),
    ({"statusCode": 503, "message": "retry in 2 s", "retry_after_seconds": 2},
     {"detail": "retry in 2 s", "retry_after_seconds": 2}),
    ("not a dict", {"detail": "Service Unavailable"}),
])
def test_legacy_bodies_map_to_problem_members(legacy, expected):
    status = legacy["statusCode"] if isinstance(legacy, dict) else 503
    out = problems.legacy_to_problem(status, legacy, instance="/x")
    assert {k: out[k] for k in expected} == expected
    assert out["status"] == status and out["instance"] == "/x" and "statusCode" not in out


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=4, max_size=30).filter(lambda s: s.strip()), st.sampled_from(["amount", "token", "note"]))
def test_property_no_error_echoes_a_string_that_was_sent(value, field):
    """Whatever string lands in whichever field, the 422 never contains it (pydantic messages that
    quote the input are cut to their input-free part or replaced)."""
    body = {"amount": 1, "token": "pm_card", field: value}
    status, _, out = call("POST", "/items", body)
    if status == 422:
        for error in out["errors"]:
            assert value not in error["detail"]
