"""`smartpay_shared.api.merchant_id`: the merchant claim counts only when the operator-assigned group
`merchant:<merchant_id>` confirms it (issue #13 item 1: a user who rewrote its own custom:merchant_id,
or signed itself up with one, is in no such group). `cognito:groups` arrives as a list (the JWT), or
flattened by API Gateway to "a,b" or "[a b]"."""

import json

import pytest

from smartpay_shared import problems
from smartpay_shared.api import MERCHANT_GROUP_PREFIX, build_resolver, groups, merchant_group, merchant_id
from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.testing import merchant_claims

app = build_resolver("binding-probe", "0")


@app.get("/whoami")
def whoami() -> dict:
    return {"merchant": merchant_id(app), "groups": sorted(groups(app))}


def call(claims):
    event = {"resource": "/whoami", "path": "/whoami", "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
             "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
             "stageVariables": None, "isBase64Encoded": False, "body": None,
             "requestContext": {"resourcePath": "/whoami", "httpMethod": "GET", "stage": "local", "requestId": "r-1",
                                "identity": {"sourceIp": "127.0.0.1"},
                                "authorizer": {"claims": {"token_use": "id", "sub": "u-1", **claims}}}}
    result = app.resolve(event, LocalLambdaContext("binding-probe"))
    return result["statusCode"], json.loads(result["body"])


def assert_unconfirmed(status, body, claim="m_a"):
    assert status == 403, body
    assert body["type"] == problems.TYPE_PREFIX + problems.MERCHANT_UNCONFIRMED
    assert claim not in json.dumps(body)  # the detail never repeats the claim


def test_the_group_name_is_valid_for_cognito_and_splits_cleanly():
    name = merchant_group("m_" + "x" * 62)  # the longest merchant id (64)
    assert name.startswith(MERCHANT_GROUP_PREFIX) and 1 <= len(name) <= 128  # Cognito: 1-128 characters
    assert not any(c.isspace() or c == "," for c in name)  # the flattened claim splits on them


def test_a_claim_without_any_group_is_403_merchant_unconfirmed():
    assert_unconfirmed(*call({"custom:merchant_id": "m_a"}))


@pytest.mark.parametrize("found", ["admin", "", "[]", ["admin"], []])
def test_a_claim_with_only_non_merchant_groups_is_403(found):
    assert_unconfirmed(*call({"custom:merchant_id": "m_a", "cognito:groups": found}))


@pytest.mark.parametrize("found", ["merchant:m_b", ["merchant:m_b"], "[merchant:m_b admin]", "merchant:m_b,admin"])
def test_the_group_of_another_merchant_is_403(found):
    """B wrote A's id into its own attribute: its token still says merchant:m_b."""
    assert_unconfirmed(*call({"custom:merchant_id": "m_a", "cognito:groups": found}))


@pytest.mark.parametrize("found", ["merchant:m_a,merchant:m_b", "[merchant:m_b merchant:m_a]",
                                   ["merchant:m_a", "merchant:m_b"]])
def test_two_merchant_groups_are_ambiguous_and_403(found):
    """Otherwise the holder could choose between them by rewriting its own attribute."""
    assert_unconfirmed(*call({"custom:merchant_id": "m_a", "cognito:groups": found}))


@pytest.mark.parametrize("found", ["merchant:m_a", ["merchant:m_a"], ["merchant:m_a", "admin"],
                                   "merchant:m_a,admin", "[merchant:m_a admin]", "[merchant:m_a]",
                                   "admin, merchant:m_a"])
def test_the_merchants_own_group_confirms_the_claim(found):
    status, body = call({"custom:merchant_id": "m_a", "cognito:groups": found})
    assert status == 200, body
    assert body["merchant"] == "m_a"
    assert "merchant:m_a" in body["groups"]


def test_a_lookalike_group_confirms_nothing():
    for found in ("merchant:m_ab", "merchant:m_", "xmerchant:m_a", "Merchant:m_a", "merchant:M_A", "m_a"):
        assert_unconfirmed(*call({"custom:merchant_id": "m_a", "cognito:groups": found}))


def test_a_group_without_the_claim_is_still_merchant_required():
    status, body = call({"cognito:groups": "merchant:m_a"})
    assert status == 403 and body["type"] == problems.TYPE_PREFIX + problems.MERCHANT_REQUIRED


def test_the_testing_helper_builds_confirmed_claims():
    assert merchant_claims("m_a") == {"custom:merchant_id": "m_a", "cognito:groups": "merchant:m_a"}
    assert merchant_claims("m_a", "admin", token=True) == {"custom:merchant_id": "m_a",
                                                            "cognito:groups": ["merchant:m_a", "admin"]}
    assert call(merchant_claims("m_a"))[0] == 200
    assert call(merchant_claims("m_a", "admin", token=True))[0] == 200
