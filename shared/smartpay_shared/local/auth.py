"""The local gateway's Cognito authorizer: verify a user pool ID token against the pool's JWKS, and
hand the handlers its claims the way API Gateway does."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Protocol

import jwt
from jwt import PyJWK, PyJWKClient
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
    PyJWKClientConnectionError,
    PyJWKClientError,
)


ALGORITHM = "RS256"  # the only one Cognito signs with


class AuthError(Exception):
    """The caller is not authenticated. The message is safe to return: it never holds the token."""


class KeysUnavailable(Exception):
    """The pool's JWKS cannot be fetched: the gateway's problem (503), not the caller's."""


class SigningKeys(Protocol):
    def get_signing_key_from_jwt(self, token: str) -> PyJWK: ...


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]:
        """The verified claims, or AuthError / KeysUnavailable."""


def cognito_issuer(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def jwks_url(user_pool_id: str, *, region: str, endpoint_url: str | None = None) -> str:
    # moto serves the JWKS at <endpoint>/<pool>/.well-known/jwks.json; AWS at the issuer URL.
    base = endpoint_url.rstrip("/") if endpoint_url else f"https://cognito-idp.{region}.amazonaws.com"
    return f"{base}/{user_pool_id}/.well-known/jwks.json"


class CognitoIdTokenVerifier:
    """What API Gateway's Cognito authorizer checks, plus token_use: only ID tokens carry the merchant."""

    def __init__(self, *, keys: SigningKeys, issuer: str, client_id: str, leeway: float = 0.0):
        if not client_id:
            raise ValueError("client_id (the user pool app client) is required")
        self._keys = keys
        self._issuer = issuer
        self._client_id = client_id
        self._leeway = leeway

    @classmethod
    def from_jwks_url(cls, url: str, *, issuer: str, client_id: str, cache_seconds: float = 300,
                      leeway: float = 0.0) -> CognitoIdTokenVerifier:
        keys = PyJWKClient(url, cache_keys=True, lifespan=cache_seconds, timeout=5)
        return cls(keys=keys, issuer=issuer, client_id=client_id, leeway=leeway)

    def verify(self, token: str) -> dict[str, Any]:
        key = self._signing_key(token)
        try:
            claims = jwt.decode(
                token, key, algorithms=[ALGORITHM], issuer=self._issuer, leeway=self._leeway,
                # aud is checked below, after token_use: an access token has no aud at all.
                options={"require": ["exp", "iat", "iss", "token_use"], "verify_aud": False},
            )
        except InvalidSignatureError as e:
            raise AuthError("token signature is invalid") from e
        except ExpiredSignatureError as e:
            raise AuthError("token has expired") from e
        except ImmatureSignatureError as e:
            raise AuthError("token is not valid yet") from e
        except InvalidIssuerError as e:
            raise AuthError("token was not issued by the configured user pool") from e
        except MissingRequiredClaimError as e:
            raise AuthError(f"token has no {e.claim} claim") from e
        except InvalidTokenError as e:
            raise AuthError("token is invalid") from e
        if claims["token_use"] != "id":
            raise AuthError(f"an ID token is required, not an {claims['token_use']!r} token")
        if claims.get("aud") != self._client_id:
            raise AuthError("token was not issued for this app client")
        return claims

    def _signing_key(self, token: str) -> PyJWK:
        try:
            header = jwt.get_unverified_header(token)
        except InvalidTokenError as e:
            raise AuthError("token is malformed") from e
        if header.get("alg") != ALGORITHM:
            raise AuthError(f"token must be signed with {ALGORITHM}")
        try:
            return self._keys.get_signing_key_from_jwt(token)
        except PyJWKClientConnectionError as e:
            raise KeysUnavailable("cannot fetch the user pool's JWKS") from e
        except PyJWKClientError as e:
            raise AuthError("token is not signed by a key of the user pool") from e


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing Authorization header (expected 'Bearer <ID token>')")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be 'Bearer <ID token>'")
    return token.strip()


def authorizer_claims(claims: dict[str, Any]) -> dict[str, str]:
    """API Gateway's Cognito authorizer hands Lambda every claim as a string (exp/iat as dates,
    lists comma-joined); doing the same here keeps handlers honest about what they will get."""
    out = {}
    for name, value in claims.items():
        if name in ("exp", "iat") and isinstance(value, int | float):
            out[name] = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            out[name] = ",".join(str(v) for v in value)
        else:
            out[name] = str(value)
    return out


def read_stack_file(path: Path | None = None) -> dict[str, Any]:
    """Outputs of the local stack (`.local/stack.json`: user_pool_id, user_pool_client_id,
    aws_endpoint_url, gateway_url); empty when the stack has not written it."""
    path = path or default_stack_file()
    if not path.is_file():
        return {}
    data = json.loads(path.read_text())
    return data if isinstance(data, dict) else {}


def default_stack_file() -> Path:
    from smartpay_shared.local.stack import stack_paths  # the one place that knows where .local is

    try:
        return stack_paths().stack_file
    except FileNotFoundError:  # installed outside a checkout
        return Path.cwd() / ".local" / "stack.json"
