"""Gateway credentials from AWS Secrets Manager: JSON secrets read at cold start through the Powertools
parameters utility (cached `max_age` seconds) and checked into typed credentials; values never in repr,
logs or error messages (only the secret id and the missing field are named).

Secret shapes (SecretString, JSON):
- STRIPE_SECRET_ID:           {"api_key": "sk_..."}
- AMAZON_PAY_SECRET_ID:       {"public_key_id": "SANDBOX-...|LIVE-...", "private_key": "-----BEGIN PRIVATE KEY-----..."}
- SOLANA_FEE_PAYER_SECRET_ID: {"secret_key": "<base58 of the 64-byte keypair>", "public_key": "<base58>"}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError, TransformParameterError
from solders.keypair import Keypair

# Fields of the secrets above that are public by design (a key id, a public key): not secret values.
PUBLIC_FIELDS = frozenset({"public_key_id", "public_key"})


class CredentialsError(Exception):
    """A secret that cannot be read or does not have the expected shape (fails the cold start)."""


@dataclass(frozen=True)
class StripeCredentials:
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class AmazonPayCredentials:
    public_key_id: str
    private_key: str = field(repr=False)


@dataclass(frozen=True)
class SolanaFeePayer:
    secret_key: str = field(repr=False)

    def keypair(self) -> Keypair:
        return Keypair.from_base58_string(self.secret_key)


class SecretStore:
    """One Secrets Manager client; each secret fetched once and cached for `max_age` seconds."""

    def __init__(self, client: Any, max_age: int = 300):
        self._provider = SecretsProvider(boto3_client=client)
        self._max_age = max_age

    def json(self, secret_id: str) -> dict[str, Any]:
        try:
            value = self._provider.get(secret_id, max_age=self._max_age, transform="json")
        except TransformParameterError:
            raise CredentialsError(f"secret {secret_id} is not a JSON object") from None
        except GetParameterError as e:
            # The SDK message names the secret and the error code, never the value.
            raise CredentialsError(f"secret {secret_id} cannot be read: {e}") from None
        if not isinstance(value, dict):
            raise CredentialsError(f"secret {secret_id} is not a JSON object")
        return value


def _field(secret: dict[str, Any], secret_id: str, name: str) -> str:
    value = secret.get(name)
    if not isinstance(value, str) or not value:
        raise CredentialsError(f"secret {secret_id} has no string field {name!r}")
    return value


def stripe_credentials(store: SecretStore, secret_id: str) -> StripeCredentials:
    return StripeCredentials(_field(store.json(secret_id), secret_id, "api_key"))


def amazon_pay_credentials(store: SecretStore, secret_id: str) -> AmazonPayCredentials:
    secret = store.json(secret_id)
    return AmazonPayCredentials(_field(secret, secret_id, "public_key_id"), _field(secret, secret_id, "private_key"))


def solana_fee_payer(store: SecretStore, secret_id: str) -> SolanaFeePayer:
    payer = SolanaFeePayer(_field(store.json(secret_id), secret_id, "secret_key"))
    try:
        payer.keypair()
    except ValueError:
        raise CredentialsError(f"secret {secret_id}: secret_key is not a base58 64-byte keypair") from None
    return payer


def secret_values(secret: Any) -> list[str]:
    """Every secret string inside a secret's JSON (public fields left out): what must never leak."""
    if isinstance(secret, dict):
        return [v for k, item in secret.items() if k not in PUBLIC_FIELDS for v in secret_values(item)]
    if isinstance(secret, list):
        return [v for item in secret for v in secret_values(item)]
    return [secret] if isinstance(secret, str) and secret else []


def parse_secret_string(value: str | None) -> Any:
    """A SecretString as JSON, or the plain string when it is not JSON."""
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


def ensure_secret(client: Any, secret_id: str, make: Any, valid: Any) -> tuple[str, dict[str, Any]]:
    """Keep a secret's current value when `valid(value)`, else put `make()` (creating the secret if
    Terraform has not). Returns ("kept" | "put" | "created", value). Idempotent."""
    from botocore.exceptions import ClientError

    try:
        current = parse_secret_string(client.get_secret_value(SecretId=secret_id).get("SecretString"))
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":  # no secret, or no value yet
            raise CredentialsError(f"secret {secret_id} cannot be read: {e.response['Error']['Code']}") from None
        current = None
    if isinstance(current, dict) and valid(current):
        return "kept", current
    value = make()
    try:
        client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))
        return "put", value
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceNotFoundException":
            raise CredentialsError(f"secret {secret_id} cannot be written: {e.response['Error']['Code']}") from None
    client.create_secret(Name=secret_id, SecretString=json.dumps(value))
    return "created", value


# --- local sandbox values (`smartpay payment put-secrets`): fresh, random, never in git ----------------
def sandbox_stripe_secret() -> dict[str, str]:
    import secrets

    return {"api_key": f"sk_test_{secrets.token_hex(16)}"}  # localstripe takes any sk_ key


def sandbox_amazon_pay_secret() -> dict[str, str]:
    from smartpay_payment.adapters.gateways import amazon_pay_signing as signing

    private, public = signing.generate_key_pair()
    return {"public_key_id": signing.sandbox_public_key_id(public), "private_key": private}


def sandbox_fee_payer_secret() -> dict[str, str]:
    keypair = Keypair()
    return {"secret_key": str(keypair), "public_key": str(keypair.pubkey())}


def valid_stripe(value: dict[str, Any]) -> bool:
    return isinstance(value.get("api_key"), str) and value["api_key"].startswith("sk_")


def valid_amazon_pay(value: dict[str, Any]) -> bool:
    from smartpay_payment.adapters.gateways import amazon_pay_signing as signing

    try:
        signing.load_private_key(value.get("private_key") or "")
    except ValueError:
        return False
    return bool(value.get("public_key_id"))


def valid_fee_payer(value: dict[str, Any]) -> bool:
    try:
        SolanaFeePayer(value.get("secret_key") or "").keypair()
    except ValueError:
        return False
    return True
