"""The gateway's Cognito ID-token checks, with a locally generated RSA key standing in for the pool's."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKSet
from jwt.algorithms import RSAAlgorithm
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

from smartpay_shared.local.auth import (
    AuthError,
    CognitoIdTokenVerifier,
    KeysUnavailable,
    authorizer_claims,
    bearer_token,
    cognito_issuer,
    jwks_url,
    read_stack_file,
)
from smartpay_shared.testing import merchant_claims

ISSUER = cognito_issuer("us-east-1", "us-east-1_pool")
CLIENT = "client-123"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class StaticKeys:
    """A JWKS that never changes (what PyJWKClient gives the verifier, minus the HTTP fetch)."""

    def __init__(self, **keys_by_kid):
        jwks = {"keys": [{**RSAAlgorithm.to_jwk(k.public_key(), as_dict=True), "kid": kid, "alg": "RS256",
                          "use": "sig"} for kid, k in keys_by_kid.items()]}
        self._set = PyJWKSet.from_dict(jwks)

    def get_signing_key_from_jwt(self, token):
        kid = jwt.get_unverified_header(token).get("kid")
        for key in self._set.keys:
            if key.key_id == kid:
                return key
        raise PyJWKClientError(f"Unable to find a signing key that matches: {kid!r}")


POOL_KEY = new_key()


def id_claims(**overrides):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": CLIENT, "sub": "u-1", "token_use": "id", "iat": now,
              "auth_time": now, "exp": now + 3600, **merchant_claims("m_acme", "admin", token=True),
              "email_verified": True}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims, key=POOL_KEY, kid="pool-key", alg="RS256"):
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture
def verifier():
    return CognitoIdTokenVerifier(keys=StaticKeys(**{"pool-key": POOL_KEY}), issuer=ISSUER, client_id=CLIENT)


def test_a_valid_id_token_gives_its_claims(verifier):
    claims = verifier.verify(sign(id_claims()))
    assert claims["custom:merchant_id"] == "m_acme"
    assert claims["cognito:groups"] == ["merchant:m_acme", "admin"]


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not-a-jwt", "malformed"),
        ("a.b.c", "malformed"),
        (sign(id_claims(exp=int(time.time()) - 60)), "expired"),
        (sign(id_claims(aud="another-client")), "not issued for this app client"),
        (sign(id_claims(iss="https://cognito-idp.us-east-1.amazonaws.com/other")), "not issued by the configured user pool"),
        (sign(id_claims(token_use="access", aud=None, client_id=CLIENT)), "ID token is required"),
        (sign(id_claims(token_use=None)), "no token_use claim"),
        (sign(id_claims(exp=None)), "no exp claim"),
        (sign(id_claims(iat=int(time.time()) + 600)), "not valid yet"),
        (sign(id_claims(), key=new_key()), "signature is invalid"),  # right kid, wrong key
        (sign(id_claims(), kid="unknown"), "not signed by a key of the user pool"),
        (sign(id_claims(), key="a-shared-secret-that-is-32-bytes!!", alg="HS256"), "must be signed with RS256"),
        (jwt.encode(id_claims(), None, algorithm="none"), "must be signed with RS256"),
    ],
    ids=["garbage", "three-dots", "expired", "wrong-audience", "wrong-issuer", "access-token",
         "no-token-use", "no-exp", "issued-in-future", "bad-signature", "unknown-kid", "hs256", "alg-none"],
)
def test_rejected_tokens_say_why(verifier, token, reason):
    with pytest.raises(AuthError, match=reason):
        verifier.verify(token)


def test_expired_wins_only_after_the_signature_checks_out(verifier):
    forged_and_expired = sign(id_claims(exp=int(time.time()) - 60), key=new_key())
    with pytest.raises(AuthError, match="signature is invalid"):
        verifier.verify(forged_and_expired)


def test_leeway_tolerates_small_clock_skew():
    lenient = CognitoIdTokenVerifier(keys=StaticKeys(**{"pool-key": POOL_KEY}), issuer=ISSUER,
                                     client_id=CLIENT, leeway=120)
    assert lenient.verify(sign(id_claims(exp=int(time.time()) - 30)))["sub"] == "u-1"


def test_an_unreachable_jwks_is_the_gateways_problem_not_the_callers():
    class Down:
        def get_signing_key_from_jwt(self, token):
            raise PyJWKClientConnectionError("connection refused")

    broken = CognitoIdTokenVerifier(keys=Down(), issuer=ISSUER, client_id=CLIENT)
    with pytest.raises(KeysUnavailable):
        broken.verify(sign(id_claims()))


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer   ", "token-without-scheme"])
def test_bearer_header_is_required(header):
    with pytest.raises(AuthError):
        bearer_token(header)


def test_bearer_scheme_is_case_insensitive():
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def test_claims_reach_handlers_as_api_gateway_strings():
    out = authorizer_claims({"exp": 0, "iat": 86400, "auth_time": 5, "email_verified": True,
                             **merchant_claims("m_1", "admin", token=True)})
    assert out == {"exp": "Thu Jan 01 00:00:00 UTC 1970", "iat": "Fri Jan 02 00:00:00 UTC 1970",
                   "auth_time": "5", "email_verified": "true", "cognito:groups": "merchant:m_1,admin",
                   "custom:merchant_id": "m_1"}


def test_jwks_url_points_at_the_emulator_when_there_is_one():
    assert jwks_url("p1", region="eu-west-1", endpoint_url="http://127.0.0.1:4566/") == \
        "http://127.0.0.1:4566/p1/.well-known/jwks.json"
    assert jwks_url("p1", region="eu-west-1") == \
        "https://cognito-idp.eu-west-1.amazonaws.com/p1/.well-known/jwks.json"


def test_stack_file_is_optional(tmp_path):
    assert read_stack_file(tmp_path / "missing.json") == {}
    path = tmp_path / "stack.json"
    path.write_text('{"user_pool_id": "p1"}')
    assert read_stack_file(path) == {"user_pool_id": "p1"}
