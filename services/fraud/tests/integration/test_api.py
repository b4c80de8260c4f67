"""POST /fraud through the real Powertools resolver, with the API Gateway REST proxy event a
Cognito-authorized method receives; the model comes from the moto registry, features from Redis."""

import json
import time

import pytest

from smartpay_shared.runtime.lambda_context import LocalLambdaContext
from smartpay_shared.testing import merchant_claims

from smartpay_fraud import bootstrap
from smartpay_fraud.domain.features import FULL
from smartpay_fraud.domain.transactions import Transaction
from smartpay_fraud.entrypoints import api

pytestmark = pytest.mark.integration
CLAIMS = {"sub": "u-1", "token_use": "id", **merchant_claims("m_acme")}
BODY = {"amount": 4200, "currency": "EUR", "customer_id": "cus_1", "country": "DE", "device_id": "dev_1",
        "ip_address": "10.0.0.1", "payment_method": {"type": "card", "token": "pm_card_visa"}}


def event(body, claims=CLAIMS):
    return {
        "resource": "/fraud", "path": "/fraud", "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None, "isBase64Encoded": False,
        "body": body if isinstance(body, str) else json.dumps(body),
        "requestContext": {"resourcePath": "/fraud", "httpMethod": "POST", "stage": "local", "requestId": "r-1",
                           "accountId": "123456789012", "apiId": "api", "path": "/local/fraud",
                           "identity": {"sourceIp": "127.0.0.1"},
                           **({"authorizer": {"claims": claims}} if claims is not None else {})},
    }


def field_errors(body):
    """422 field errors: RFC 9457 `errors` (the platform's problem details) or the older `detail` list."""
    return body["errors"] if "errors" in body else body["detail"]


def message(body):
    return body.get("detail") if isinstance(body.get("detail"), str) else body["message"]


def call(body, claims=CLAIMS):
    response = api.lambda_handler(event(body, claims), LocalLambdaContext(function_name="fraud-api"))
    return response["statusCode"], json.loads(response["body"])


def test_scores_with_decision_versions_and_reasons(service, registered):
    status, body = call({**BODY, "payment_id": "pay_API00001"})
    assert status == 200, body
    assert body["payment_id"] == "pay_API00001"
    assert 0 <= body["score"] <= 1 and body["decision"] in {"approve", "review", "decline"}
    assert body["model_version"] == registered.version
    assert body["threshold_version"] == registered.thresholds.version
    assert all(r["contribution"] > 0 and r["description"] for r in body["reasons"])


def test_merchant_comes_from_the_token_and_velocity_accumulates(service, redis_store):
    for i in range(5):  # a burst on one card: the card's 1 h count reaches 5
        status, body = call({**BODY, "payment_id": f"pay_BURST{i:04d}", "amount": 150})
    assert status == 200
    probe = Transaction("probe", int(time.time() * 1000), 100, "EUR", "m_acme", "pm_card_visa")
    assert redis_store.record_and_read(probe, FULL)["merchant_count_1h"] == 6
    status, body = call({**BODY, "merchant_id": "m_other"})  # a body merchant is refused, not used
    assert status == 422 and any(d["loc"][-1] == "merchant_id" for d in field_errors(body))


def test_unknown_card_device_and_merchant_are_scored(service):
    status, body = call({**BODY, "payment_method": {"type": "card", "token": "pm_brand_new"},
                         "device_id": "dev_never", "customer_id": "cus_never"},
                        claims={**CLAIMS, **merchant_claims("m_brand_new")})
    assert status == 200 and 0 <= body["score"] <= 1


@pytest.mark.parametrize("change,field", [
    ({"amount": -100}, "amount"),
    ({"amount": 0}, "amount"),
    ({"currency": "eur"}, "currency"),
    ({"currency": "XYZ"}, "currency"),          # well-formed but not a currency we know
    ({"amount": 900_000_000_000}, "amount"),    # nine billion euros: absurd
    ({"payment_method": {"type": "card", "token": "4242424242424242"}}, "token"),  # a raw PAN
    ({"payment_method": {"type": "cheque", "token": "x"}}, "type"),
    ({"customer_id": None}, "customer_id"),
])
def test_bad_input_is_422_with_the_field(service, change, field):
    status, body = call({**BODY, **change})
    assert status == 422, body
    assert any(d["loc"][-1] == field for d in field_errors(body)), body


def test_missing_fields_and_non_json(service):
    status, body = call({"currency": "EUR"})
    assert status == 422 and {d["loc"][-1] for d in field_errors(body)} >= {"amount", "payment_method", "customer_id"}
    status, _ = call("{not json")
    assert status in (400, 422)


def test_no_token_claims_is_401(service):
    status, _ = call(BODY, claims=None)
    assert status == 401


def test_a_merchant_claim_no_operator_group_confirms_is_403(service):
    """custom:merchant_id alone (a rewritten attribute, a self sign-up) scores for nobody."""
    for groups in ({}, {"cognito:groups": "merchant:m_other"}):
        status, body = call(BODY, claims={"sub": "u-1", "token_use": "id", "custom:merchant_id": "m_acme", **groups})
        assert status == 403 and body["type"] == "urn:smartpay:problem:merchant-unconfirmed", body


def test_no_registered_model_is_a_loud_503(aws, settings, caplog):
    aws("s3").create_bucket(Bucket="smartpay-fraud-models")
    bootstrap.reset()
    import smartpay_fraud.config as config
    config.fraud_settings.cache_clear()
    original = config.fraud_settings
    try:
        bootstrap.fraud_settings = lambda: settings
        status, body = call(BODY)
    finally:
        bootstrap.fraud_settings = original
        bootstrap.reset()
    assert status == 503 and message(body) == "fraud scoring is unavailable right now; retry later"
    assert "smartpay fraud train" in caplog.text  # the operator's hint is in the log, not the answer


def test_feature_store_down_is_a_503_not_a_guess(registered, settings, aws, caplog):
    from smartpay_fraud.adapters.redis_store import RedisFeatureStore

    dead = RedisFeatureStore.from_url("redis://127.0.0.1:1/0", prefix="fraudtest-dead")  # nothing listens there
    bootstrap._service = bootstrap.build_scoring_service(settings, s3=aws("s3"), store=dead)
    try:
        status, body = call(BODY)
    finally:
        bootstrap.reset()
    assert status == 503 and message(body) == "fraud scoring is unavailable right now; retry later"
    assert "127.0.0.1:1" not in message(body) and "online feature store" in caplog.text


def test_another_merchant_sending_a_merchant_ids_changes_nothing_either_is_told(service, new_store):
    """Issue #13 item 2 through POST /fraud: merchant B (its own token) sends 25 payments with merchant A's
    customer, device, IP and card token. A's next answer is exactly the answer without B's calls, B's answers
    are exactly those B gets when A never paid, and the control (the same calls made with A's token) does move
    A's answer. Each world is a fresh key space on the test Redis; the calls of one comparison run seconds apart."""
    from smartpay_fraud.service_layer.scoring import ScoringService

    a_claims, b_claims = {**CLAIMS, **merchant_claims("m_alpha")}, {**CLAIMS, **merchant_claims("m_bravo")}
    a_body = {**BODY, "customer_id": "cus_alpha_1", "device_id": "dev_alpha_1", "ip_address": "203.0.113.7",
              "payment_method": {"type": "card", "token": "pm_alpha_card"}}
    history = [{**a_body, "payment_id": f"pay_AHIST{i:04d}", "amount": 4200 + 300 * i} for i in range(3)]
    probe = {**a_body, "payment_id": "pay_APROBE001", "amount": 5100}
    poison = [{**a_body, "payment_id": f"pay_POISON{i:03d}", "amount": 100 + 7 * i,
               "payment_method": {"type": "card", "token": "pm_alpha_card" if i % 2 == 0 else f"pm_bravo_{i}"}}
              for i in range(25)]
    worlds = {name: ScoringService(new_store(), service.model, service.reasons)
              for name in ("clean", "poisoned", "b_only", "control")}

    def send(world, body, claims):
        bootstrap._service = worlds[world]
        status, answer = call(body, claims)
        assert status == 200, answer
        return answer

    if 3600 - time.time() % 3600 < 60:  # hour_of_day is a feature: keep the compared calls in one UTC hour
        time.sleep(3600 - time.time() % 3600 + 1)
    for world in ("clean", "poisoned", "control"):
        for body in history:
            send(world, body, a_claims)
    b_seen = [send("poisoned", body, b_claims) for body in poison]
    b_alone = [send("b_only", body, b_claims) for body in poison]
    for body in poison:
        send("control", body, a_claims)
    a_clean, a_poisoned, a_control = (send(world, probe, a_claims) for world in ("clean", "poisoned", "control"))

    assert a_poisoned == a_clean
    assert b_seen == b_alone
    assert a_control["score"] != a_clean["score"]
