"""No input makes an API answer 5xx or write half a request: every body check of
smartpay_shared.request_body, through a resolver built like the services' (build_resolver), on the
cases an outside probe found answered 500 (text/plain, XML, boundary-less multipart, 1,000-deep JSON,
a lone UTF-16 surrogate), plus malformed JSON, NaN and a non-UTF-8 charset."""

import base64
import json

import pytest
from pydantic import BaseModel, ConfigDict

from smartpay_shared import request_body
from smartpay_shared.api import build_resolver
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.testing import merchant_claims

app = build_resolver("probe", "0")
WRITES: list[dict] = []


class Thing(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str


@app.post("/things")
def create(thing: Thing) -> dict:
    WRITES.append(thing.model_dump())
    return {"ok": True}


def call(body, content_type="application/json", *, base64_body=False):
    headers = {} if content_type is None else {"Content-Type": content_type}
    event = {"resource": "/things", "path": "/things", "httpMethod": "POST", "headers": headers,
             "multiValueHeaders": {}, "queryStringParameters": None, "pathParameters": None,
             "isBase64Encoded": base64_body,
             "body": base64.b64encode(body).decode() if base64_body else body,
             "requestContext": {"resourcePath": "/things", "httpMethod": "POST", "requestId": "r-1",
                                "authorizer": {"claims": merchant_claims("m_a")}}}
    result = app.resolve(event, LocalLambdaContext("probe"))
    return result["statusCode"], json.loads(result["body"])


@pytest.fixture(autouse=True)
def _no_writes():
    WRITES.clear()
    yield


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data",
                                          "application/x-www-form-urlencoded", "application/merge-patch+json",
                                          "application/json; charset=latin-1"])
def test_a_body_that_is_not_json_is_a_415_and_nothing_is_written(content_type):
    status, body = call('{"name": "x"}', content_type)
    assert (status, body["type"]) == (415, "urn:smartpay:problem:unsupported-media-type")
    assert WRITES == []


@pytest.mark.parametrize("content_type", [None, "application/json", "application/json; charset=UTF-8",
                                          "Application/JSON"])
def test_json_with_or_without_a_content_type_reaches_the_route(content_type):
    assert call('{"name": "x"}', content_type) == (200, {"ok": True})
    assert WRITES == [{"name": "x"}]


@pytest.mark.parametrize("raw", ['{"name": ', "{'name': 'x'}", '{"name": NaN}', '{"name": "x", "n": Infinity}',
                                 "[" * 20 + "]" * 19])
def test_malformed_json_is_a_400(raw):
    status, body = call(raw)
    assert (status, body["type"]) == (400, "urn:smartpay:problem:malformed-json")
    assert WRITES == []


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_nesting_over_the_limit_is_a_400_even_far_beyond_the_parsers_recursion_limit(depth):
    status, body = call('{"name": "x", "deep": ' + "[" * depth + "]" * depth + "}")
    assert (status, body["type"]) == (400, "urn:smartpay:problem:json-too-deep")
    assert f"{depth + 1} levels" in body["detail"]


def test_nesting_up_to_the_limit_is_accepted_and_brackets_inside_strings_do_not_count():
    inner = "[" * 31 + "]" * 31
    assert call(json.dumps({"name": "[[[{{{" * 50 + '\\"', "deep": json.loads(inner)}))[0] == 200


def test_a_lone_surrogate_is_a_422_naming_the_field_before_anything_is_written():
    status, body = call('{"name": "ok", "meta": {"note": "a\\ud800b"}}')
    assert (status, body["type"]) == (422, "urn:smartpay:problem:invalid-unicode")
    assert [e["loc"] for e in body["errors"]] == [["body", "meta", "note"]]
    assert WRITES == []


def test_a_surrogate_pair_is_one_valid_character():
    assert call('{"name": "\\ud83d\\ude00"}') == (200, {"ok": True})


def test_a_body_that_is_not_utf8_is_a_422():
    status, body = call(b'{"name": "\xff\xfe"}', base64_body=True)
    assert (status, body["type"]) == (422, "urn:smartpay:problem:invalid-unicode")


@pytest.mark.parametrize(("text", "depth"), [("", 0), ("1", 0), ("[]", 1), ('{"a": [{"b": []}]}', 4),
                                             ('["]]]", "\\\\", [[]]]', 3), ('"[[[" [', 1)])
def test_nesting_depth_ignores_strings_and_escapes(text, depth):
    assert request_body.nesting_depth(text) == depth
