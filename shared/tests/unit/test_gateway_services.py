"""The gateway built from the real manifests and the services' unchanged API handlers (the token
check is faked here; test_gateway_cognito does it against moto), and its settings."""

import pytest
from werkzeug.test import Client

from smartpay_shared.local.auth import AuthError
from smartpay_shared.local.gateway import (
    Gateway,
    GatewaySettings,
    LazyHandlers,
    routes_from_manifests,
)
from smartpay_shared.manifest import all_manifests
from smartpay_shared.testing import merchant_claims

TOKEN = "good.id.token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FRAUD_BODY = {"amount": 1999, "currency": "EUR", "payment_method": {"type": "card", "token": "pm_card_visa"},
              "customer_id": "cus_1"}


class FakeVerifier:
    def verify(self, token):
        if token != TOKEN:
            raise AuthError("token is malformed")
        return {"token_use": "id", **merchant_claims("m_acme", token=True), "exp": 1700000000}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("SMARTPAY_USER_POOL_ID", "SMARTPAY_USER_POOL_CLIENT_ID", "AWS_ENDPOINT_URL", "AWS_REGION",
                 "AWS_DEFAULT_REGION", *(f"SMARTPAY_GATEWAY_{field.upper()}" for field in GatewaySettings.model_fields)):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def client():
    manifests = all_manifests()
    handlers = LazyHandlers({m.service: m.api_handler for m in manifests.values() if m.api_handler})
    return Client(Gateway(routes_from_manifests(manifests), handlers, FakeVerifier()))


def test_every_manifest_route_is_served(client):
    served = set(client.get("/health").json["routes"])
    assert served == {f"{r.method} {r.path}" for m in all_manifests().values() for r in m.routes}
    assert {"POST /fraud", "POST /route", "POST /pay", "GET /payments/{payment_id}",
            "POST /payments/{payment_id}/refund", "POST /chat"} <= served


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("POST", "/fraud", {"json": FRAUD_BODY}),
    ("POST", "/pay", {"json": FRAUD_BODY, "headers": {"Idempotency-Key": "k-1"}}),
    ("GET", "/payments/pay_12345678", {}),
    ("POST", "/payments/pay_12345678/refund", {"json": {}}),
    ("POST", "/chat", {"json": {"question": "how much did I sell?"}}),
])
def test_a_valid_request_reaches_the_service_handler(client, method, path, kwargs):
    # Whatever the service answers today (501 until its issue lands), the gateway let it through:
    # no auth refusal, no routing miss, and the answer is the handler's JSON.
    headers = {**AUTH, **kwargs.pop("headers", {})}
    response = client.open(path, method=method, headers=headers, **kwargs)
    assert response.status_code not in (401, 403, 404, 405)
    assert response.content_type.startswith("application/json" if response.status_code < 400
                                            else "application/problem+json")


def test_the_handlers_validate_body_header_and_path(client):
    body = client.post("/fraud", headers=AUTH, json={**FRAUD_BODY, "currency": "euro"})
    assert body.status_code == 422 and body.content_type == "application/problem+json"
    assert body.json["errors"] == [{"loc": ["body", "currency"], "pointer": "#/currency",
                                    "type": "string_pattern_mismatch",
                                    "detail": "String should match pattern '^[A-Z]{3,4}$'"}]
    header = client.post("/pay", headers=AUTH, json=FRAUD_BODY)
    assert header.status_code == 422 and header.json["errors"][0]["loc"] == ["header", "idempotency-key"]
    path = client.get("/payments/not-a-payment-id", headers=AUTH)
    assert path.status_code == 422 and path.json["errors"][0]["loc"] == ["path", "payment_id"]


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SMARTPAY_GATEWAY_PORT", "9090")
    monkeypatch.setenv("SMARTPAY_USER_POOL_ID", "us-east-1_pool")  # the name the CLI and stack use too
    monkeypatch.setenv("SMARTPAY_GATEWAY_CLIENT_ID", "client-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    settings = GatewaySettings()
    assert (settings.host, settings.port, settings.user_pool_id, settings.client_id) == (
        "127.0.0.1", 9090, "us-east-1_pool", "client-1")
    assert settings.verifier()._keys.uri == "http://127.0.0.1:4566/us-east-1_pool/.well-known/jwks.json"
    assert settings.verifier()._issuer == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"


def test_the_stack_file_fills_only_what_the_environment_left_unset():
    settings = GatewaySettings(client_id="from-env").with_stack_defaults(
        {"user_pool_id": "p-stack", "user_pool_client_id": "c-stack", "aws_endpoint_url": "http://127.0.0.1:4566"})
    assert (settings.user_pool_id, settings.client_id, settings.endpoint_url) == (
        "p-stack", "from-env", "http://127.0.0.1:4566")


def test_settings_without_a_pool_refuse_to_build_a_verifier():
    with pytest.raises(ValueError, match="user pool id"):
        GatewaySettings(client_id="c").verifier()
