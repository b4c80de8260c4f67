"""The local gateway on a real socket in front of the real service handlers, verifying real Cognito
tokens from a real moto server (user and tokens made with `smartpay auth` and scripts/create-user.sh)."""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import ChainMap
from pathlib import Path

import boto3
import jwt
import pytest
import requests
from jwt.algorithms import RSAAlgorithm
from moto.utilities.utils import load_resource
from openapi_spec_validator import validate
from typer.testing import CliRunner
from werkzeug.test import Client

from smartpay_shared.api import build_resolver, is_admin, merchant_id
from smartpay_shared.cli.auth import app as auth_cli
from smartpay_shared.config import platform_settings
from smartpay_shared.local.gateway import (
    Gateway,
    GatewayRoute,
    GatewaySettings,
    create_gateway,
    make_gateway_server,
)
from smartpay_shared.manifest import all_manifests
from smartpay_shared.testing import merchant_claims

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
PASSWORD = "Gateway-Test-Passw0rd!"
EMAIL = "merchant@example.com"
FRAUD_BODY = {"amount": 1999, "currency": "EUR", "payment_method": {"type": "card", "token": "pm_card_visa"},
              "customer_id": "cus_1", "country": "DE"}


@pytest.fixture(scope="module")
def cognito(moto_server):
    """A pool like the platform's: a custom merchant_id attribute and a USER_PASSWORD_AUTH client."""
    with pytest.MonkeyPatch.context() as mp:
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": moto_server.url}
        for key, value in env.items():
            mp.setenv(key, value)
        platform_settings.cache_clear()  # the CLI reads AWS_ENDPOINT_URL through it
        idp = boto3.client("cognito-idp", endpoint_url=moto_server.url, region_name="us-east-1")
        pool = idp.create_user_pool(
            PoolName=f"gateway-{uuid.uuid4().hex[:8]}", UsernameAttributes=["email"],
            Schema=[{"Name": "merchant_id", "AttributeDataType": "String", "Mutable": True}],
        )["UserPool"]["Id"]

        def app_client(name):
            return idp.create_user_pool_client(
                UserPoolId=pool, ClientName=name,
                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            )["UserPoolClient"]["ClientId"]

        yield {"idp": idp, "pool": pool, "client": app_client("web"), "other_client": app_client("other"),
               "endpoint": moto_server.url, "env": env}
    platform_settings.cache_clear()


def cli(*args):
    result = CliRunner().invoke(auth_cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture(scope="module")
def tokens(cognito):
    created = json.loads(cli("create-user", "--email", EMAIL, "--password", PASSWORD, "--merchant-id", "m_gw",
                             "--admin", "--user-pool-id", cognito["pool"]))
    assert created == {"user_pool_id": cognito["pool"], "username": EMAIL, "merchant_id": "m_gw", "admin": True,
                       "merchant_group": "merchant:m_gw"}
    sign_in = ("--email", EMAIL, "--password", PASSWORD)
    return {
        "id": cli("token", *sign_in, "--client-id", cognito["client"]),
        "access": cli("token", *sign_in, "--client-id", cognito["client"], "--access"),
        "other_client_id": cli("token", *sign_in, "--client-id", cognito["other_client"]),
    }


@pytest.fixture(scope="module")
def settings(cognito):
    return GatewaySettings(host="127.0.0.1", port=0, user_pool_id=cognito["pool"], client_id=cognito["client"],
                           endpoint_url=cognito["endpoint"], region="us-east-1")


@pytest.fixture(scope="module")
def gateway_url(settings):
    server = make_gateway_server(create_gateway(settings), settings.host, settings.port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def pool_signed(cognito, **claims):
    """A token signed with moto's own pool key (moto cannot be asked for an expired token)."""
    key = RSAAlgorithm.from_jwk(json.dumps(load_resource("cognitoidp/resources/jwks-private.json")))
    now = int(time.time())
    base = {"iss": f"https://cognito-idp.us-east-1.amazonaws.com/{cognito['pool']}", "aud": cognito["client"],
            "sub": "u-1", "token_use": "id", "iat": now, "exp": now + 3600, **merchant_claims("m_gw", token=True)}
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": "dummy"})


def post_fraud(url, token=None, body=FRAUD_BODY, raw=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if raw is not None:
        return requests.post(f"{url}/fraud", data=raw, headers={**headers, "Content-Type": "application/json"},
                             timeout=60)
    return requests.post(f"{url}/fraud", json=body, headers=headers, timeout=60)


def assert_401(response, reason):
    assert response.status_code == 401, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert response.json()["type"] == "urn:smartpay:problem:unauthorized"
    assert reason in response.json()["detail"]


# --- 401s ----------------------------------------------------------------------------------------

def test_no_token_is_401(gateway_url):
    assert_401(post_fraud(gateway_url), "missing Authorization header")


def test_malformed_token_is_401(gateway_url):
    assert_401(post_fraud(gateway_url, "not.a.jwt"), "malformed")


def test_access_token_is_401(gateway_url, tokens):
    assert_401(post_fraud(gateway_url, tokens["access"]), "ID token is required")


def test_id_token_of_another_app_client_is_401(gateway_url, tokens):
    assert_401(post_fraud(gateway_url, tokens["other_client_id"]), "not issued for this app client")


def test_expired_token_signed_by_the_pool_key_is_401(gateway_url, cognito):
    expired = pool_signed(cognito, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    assert_401(post_fraud(gateway_url, expired), "expired")


def test_token_of_another_issuer_is_401(gateway_url, cognito):
    assert_401(post_fraud(gateway_url, pool_signed(cognito, iss="https://cognito-idp.us-east-1.amazonaws.com/x")),
               "not issued by the configured user pool")


def test_token_signed_by_a_key_not_in_the_jwks_is_401(gateway_url, cognito):
    from cryptography.hazmat.primitives.asymmetric import rsa

    mine = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(pool_signed(cognito), options={"verify_signature": False})
    forged = jwt.encode(claims, mine, algorithm="RS256", headers={"kid": "dummy"})  # the pool's kid
    assert_401(post_fraud(gateway_url, forged), "signature is invalid")
    unknown_kid = jwt.encode(claims, mine, algorithm="RS256", headers={"kid": "mine"})
    assert_401(post_fraud(gateway_url, unknown_kid), "not signed by a key of the user pool")


# --- through to the handlers --------------------------------------------------------------------

def test_a_valid_id_token_reaches_the_handler(gateway_url, tokens):
    response = post_fraud(gateway_url, tokens["id"])
    assert response.status_code not in (401, 403, 404, 405)  # the fraud handler's own answer
    assert response.headers["Content-Type"] in ("application/json", "application/problem+json")


def test_invalid_body_is_422_with_field_errors(gateway_url, tokens):
    response = post_fraud(gateway_url, tokens["id"], body={**FRAUD_BODY, "amount": 0, "surprise": True})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert {(tuple(d["loc"]), d["type"]) for d in response.json()["errors"]} == {
        (("body", "amount"), "greater_than"), (("body", "surprise"), "extra_forbidden")}


def test_malformed_json_body_is_400(gateway_url, tokens):
    response = post_fraud(gateway_url, tokens["id"], raw='{"amount": ')
    assert response.status_code == 400
    assert response.json()["type"] == "urn:smartpay:problem:malformed-json"


def test_unknown_path_and_wrong_method(gateway_url, tokens):
    auth = {"Authorization": f"Bearer {tokens['id']}"}
    missing = requests.get(f"{gateway_url}/nowhere", headers=auth, timeout=10)
    assert (missing.status_code, missing.json()["status"]) == (404, 404)
    wrong = requests.get(f"{gateway_url}/fraud", headers=auth, timeout=10)
    assert (wrong.status_code, wrong.headers["Allow"]) == (405, "POST")


def test_the_handler_sees_merchant_and_groups_from_the_real_token(settings, tokens):
    probe = build_resolver("probe", "0")

    @probe.get("/whoami")
    def whoami() -> dict:
        return {"merchant_id": merchant_id(probe), "admin": is_admin(probe),
                "token_use": probe.current_event.request_context.authorizer.claims["token_use"]}

    gateway = Gateway([GatewayRoute("GET", "/whoami", "probe")], ChainMap({"probe": probe.resolve}),
                      settings.verifier())
    response = Client(gateway).get("/whoami", headers={"Authorization": f"Bearer {tokens['id']}"})
    assert response.status_code == 200
    assert response.json == {"merchant_id": "m_gw", "admin": True, "token_use": "id"}


# --- documents and tooling -----------------------------------------------------------------------

def test_openapi_is_valid_and_lists_every_route(gateway_url):
    doc = requests.get(f"{gateway_url}/openapi.json", timeout=30).json()
    validate(doc)
    assert doc["info"]["title"] == "SmartPay"
    operations = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert operations == {(r.method, r.path) for m in all_manifests().values() for r in m.routes}
    assert doc["components"]["securitySchemes"]["cognitoIdToken"]["type"] == "http"
    assert all(op["security"] == [{"cognitoIdToken": []}] for item in doc["paths"].values() for op in item.values())


def test_health_needs_no_token(gateway_url):
    assert requests.get(f"{gateway_url}/health", timeout=10).json()["status"] == "ok"


def test_create_user_script_prints_a_working_curl(gateway_url, cognito):
    env = {**os.environ, **cognito["env"], "SMARTPAY_USER_POOL_ID": cognito["pool"],
           "SMARTPAY_USER_POOL_CLIENT_ID": cognito["client"], "SMARTPAY_GATEWAY_URL": gateway_url,
           "SMARTPAY_VENV": str(Path(sys.executable).parent.parent)}
    out = subprocess.run([str(REPO / "scripts" / "create-user.sh"), "--email", "script@example.com",
                          "--merchant-id", "m_script"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    token = next(line for line in out.stdout.splitlines() if line.startswith("export TOKEN="))
    token = token.removeprefix("export TOKEN=").strip("'")
    assert f"curl -sS -X POST '{gateway_url}/fraud'" in out.stdout
    assert post_fraud(gateway_url, token).status_code not in (401, 403)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["custom:merchant_id"] == "m_script"


def test_create_user_again_updates_the_merchant(cognito):
    """A re-assignment moves attribute and group together: the user leaves merchant:m_first."""
    for merchant in ("m_first", "m_second"):
        cli("create-user", "--email", "again@example.com", "--password", PASSWORD, "--merchant-id", merchant,
            "--user-pool-id", cognito["pool"])
    token = cli("token", "--email", "again@example.com", "--password", PASSWORD, "--client-id", cognito["client"])
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["custom:merchant_id"], claims["cognito:groups"]) == ("m_second", ["merchant:m_second"])
    members = cognito["idp"].list_users_in_group(UserPoolId=cognito["pool"], GroupName="merchant:m_first")["Users"]
    assert members == []  # the group stays (other users of m_first may be in it), this user left it
    # Re-made as an admin-only operator: no merchant attribute and no merchant group any more.
    cli("create-user", "--email", "again@example.com", "--password", PASSWORD, "--admin",
        "--user-pool-id", cognito["pool"])
    token = cli("token", "--email", "again@example.com", "--password", PASSWORD, "--client-id", cognito["client"])
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "custom:merchant_id" not in claims and claims["cognito:groups"] == ["admin"]


def test_a_merchant_claim_without_its_group_is_403_through_the_gateway(gateway_url, cognito):
    """A token signed by the pool's own key whose merchant no operator confirmed (the shape of a
    rewritten attribute or a self sign-up): the handler refuses it, without repeating the claim."""
    for groups in ([], ["merchant:m_other"], ["admin"]):
        token = pool_signed(cognito, **{"custom:merchant_id": "m_claimed", "cognito:groups": groups})
        response = post_fraud(gateway_url, token)
        assert response.status_code == 403 and response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["type"] == "urn:smartpay:problem:merchant-unconfirmed", response.text
        assert "m_claimed" not in response.text


@pytest.mark.parametrize("merchant", ["m a", "m,a", "merchant:m_a", "", "m" * 65, "m_é"])
def test_create_user_refuses_a_merchant_id_that_would_make_a_bad_group(cognito, merchant):
    result = CliRunner().invoke(auth_cli, ["create-user", "--email", "bad@example.com", "--password", PASSWORD,
                                           "--merchant-id", merchant, "--user-pool-id", cognito["pool"]])
    assert result.exit_code != 0 and "--merchant-id" in result.output


def test_an_admin_only_operator_has_no_merchant_and_gets_403_problems(gateway_url, cognito):
    created = json.loads(cli("create-user", "--email", "ops@example.com", "--password", PASSWORD, "--admin",
                             "--user-pool-id", cognito["pool"]))
    assert (created["merchant_id"], created["admin"]) == (None, True)
    token = cli("token", "--email", "ops@example.com", "--password", PASSWORD, "--client-id", cognito["client"])
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "custom:merchant_id" not in claims and claims["cognito:groups"] == ["admin"]
    response = post_fraud(gateway_url, token)
    assert response.status_code == 403 and response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:smartpay:problem:merchant-required"


def test_create_user_needs_a_merchant_unless_admin(cognito):
    result = CliRunner().invoke(auth_cli, ["create-user", "--email", "nobody@example.com", "--password", PASSWORD,
                                           "--user-pool-id", cognito["pool"]])
    assert result.exit_code != 0 and "--merchant-id" in result.output
