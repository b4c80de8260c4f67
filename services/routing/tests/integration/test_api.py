"""POST /route through the real Powertools resolver with API Gateway proxy events (Cognito claims in
requestContext.authorizer), on the real Redis and a moto S3 holding the checkpoint."""

import json

import pytest

from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.testing import merchant_claims

from smartpay_routing import bootstrap
from smartpay_routing.config import routing_settings
from smartpay_routing.domain.model import Outcome
from smartpay_routing.entrypoints import api

pytestmark = pytest.mark.integration
CARD = {"amount": 4200, "currency": "EUR", "payment_method": "card", "country": "DE", "merchant_category": "retail",
        "risk_score": 0.2}


@pytest.fixture
def call(aws):
    api._state.clear()

    def post(body, merchant="m_acme"):
        context = {"resourcePath": "/route", "httpMethod": "POST", "path": "/route", "stage": "local",
                   "requestId": "req-1", "accountId": "123456789012", "apiId": "local",
                   "identity": {"sourceIp": "127.0.0.1"}}
        if merchant:
            context["authorizer"] = {"claims": {**merchant_claims(merchant), "token_use": "id"}}
        event = {"resource": "/route", "path": "/route", "httpMethod": "POST",
                 "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
                 "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
                 "stageVariables": None, "requestContext": context, "body": json.dumps(body),
                 "isBase64Encoded": False}
        response = api.lambda_handler(event, LocalLambdaContext(function_name="routing-api"))
        return response["statusCode"], json.loads(response["body"])

    yield post
    api._state.clear()


def test_route_returns_gateway_fallbacks_propensity_version_explanation(call):
    status, body = call(CARD)
    assert status == 200, body
    assert body["gateway"] in {"stripe", "amazon_pay", "solana"}
    assert sorted([body["gateway"], *body["fallbacks"]]) == ["amazon_pay", "solana", "stripe"]
    assert body["propensity"] == pytest.approx(body["probabilities"][body["gateway"]])
    assert body["policy_version"] == "vw-untrained" and body["mode"] == "bandit"
    assert body["explanation"].startswith("contextual bandit chose " + body["gateway"])


def test_the_merchant_comes_from_the_token_never_the_body(call):
    status, body = call(CARD, merchant="m_split_demo")
    assert status == 200 and body["mode"] == "split"  # that merchant's volume-split rule applied
    status, body = call({**CARD, "merchant_id": "m_split_demo"})
    assert status == 422 and "merchant_id" in json.dumps(body)
    status, body = call(CARD, merchant=None)
    assert status == 401


def test_policy_version_is_the_restored_checkpoint(call, aws, redis_prefix, ctx):
    client, _ = redis_prefix
    worker = bootstrap.build(routing_settings(), s3=aws("s3"), redis_client=client)
    for i in range(5):
        rec = worker.select_route(f"pay_{i:08d}", 1, ctx())
        worker.record_outcome(Outcome(f"pay_{i:08d}", 1, rec["gateway"], True, False, 300))
    status, body = call(CARD)
    assert status == 200 and body["policy_version"] == worker.policy.version
    assert body["policy_version"].startswith("vw-00000005-")


@pytest.mark.parametrize("change, field, words", [
    ({"currency": "NOK"}, "currency", "currency NOK is not supported by any gateway"),
    ({"country": "ZZ"}, "country", "country ZZ is in no region a gateway serves"),
])
def test_unsupported_input_is_a_422_naming_the_field(call, change, field, words):
    status, body = call({**CARD, **change})
    assert status == 422 and body["type"] == "urn:smartpay:problem:validation-error" and body["detail"] == words
    assert body["errors"][0]["loc"] == ["body", field] and body["errors"][0]["detail"] == words


@pytest.mark.parametrize("currency", ["XYZ", "XXX", "usd", 840])
def test_a_currency_that_is_not_an_active_iso_4217_code_is_refused_by_the_shared_contract(call, currency):
    status, body = call({**CARD, "currency": currency})
    assert status == 422 and body["errors"][0]["loc"] == ["body", "currency"]


def test_invalid_fields_are_422_from_validation(call):
    status, body = call({**CARD, "payment_method": "paypal"})
    assert status == 422 and "payment_method" in json.dumps(body)
    status, body = call({**CARD, "amount": 0})
    assert status == 422 and "amount" in json.dumps(body)


def test_no_eligible_gateway_is_a_422_with_every_reason_not_a_random_pick(call):
    status, body = call({**CARD, "payment_method": "solana_wallet", "currency": "GBP", "country": "GB"})
    assert status == 422 and body["detail"].startswith("no eligible gateway")
    assert body["reasons"]["solana"] == "currency GBP not supported"
    status, body = call({**CARD, "excluded_gateways": ["stripe", "amazon_pay", "solana"]})
    assert status == 422 and set(body["reasons"].values()) == {"already tried for this payment"}


def test_an_open_circuit_in_redis_takes_the_gateway_out_of_the_api_answer(call, redis_prefix):
    import time

    from smartpay_routing.adapters.redis_health import RedisHealthStore
    from smartpay_routing.domain.health import Breaker

    client, prefix = redis_prefix
    RedisHealthStore(client, routing_settings().health(), prefix).put_breaker("stripe", Breaker("open", time.time()))
    status, body = call(CARD)
    assert status == 200 and "stripe" not in [body["gateway"], *body["fallbacks"]]
    assert "circuit open: stripe" in body["explanation"]
