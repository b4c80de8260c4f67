"""Keys from AWS Secrets Manager. Secret shape (SecretString, JSON): {"secret_key": "<base58 of the 64-byte
keypair>", "public_key": "<base58>"} (the same shape the payment service's fee-payer secret uses); an exchange
API key: {"api_key": "...", "secret": "..."}. Errors name the secret id and the problem, never the value;
nothing here formats, logs or reprs a key (solders' Keypair str() IS the base58 secret: never format a Keypair
into a message)."""

from __future__ import annotations

import json
import threading
from typing import Any

from solders.keypair import Keypair

from smartpay_rewards.chain.ports import ApiKey, SecretSource


class SecretError(Exception):
    """A key that cannot be read or is malformed (fails the cold start)."""


class SecretsManagerSource(SecretSource):
    def __init__(self, client: Any):
        self._client = client
        self._cache: dict[str, Keypair] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SecretsManagerSource(cached={sorted(self._cache)})"

    def _json(self, secret_id: str) -> dict:
        from botocore.exceptions import ClientError

        try:
            raw = self._client.get_secret_value(SecretId=secret_id).get("SecretString")
        except ClientError as e:
            raise SecretError(f"secret {secret_id} cannot be read: {e.response['Error']['Code']}") from None
        try:
            value = json.loads(raw or "")
        except ValueError:
            raise SecretError(f"secret {secret_id} is not a JSON object") from None
        if not isinstance(value, dict):
            raise SecretError(f"secret {secret_id} is not a JSON object")
        return value

    def api_key(self, secret_id: str) -> ApiKey:
        value = self._json(secret_id)
        key, secret = value.get("api_key"), value.get("secret")
        if not (isinstance(key, str) and key and isinstance(secret, str) and secret):
            raise SecretError(f"secret {secret_id} needs non-empty string fields 'api_key' and 'secret'")
        return ApiKey(key, secret)

    def keypair(self, secret_id: str) -> Keypair:
        with self._lock:
            if secret_id in self._cache:
                return self._cache[secret_id]
        value = self._json(secret_id)
        encoded = value.get("secret_key")
        if not isinstance(encoded, str):
            raise SecretError(f"secret {secret_id} has no string field 'secret_key'")
        try:
            keypair = Keypair.from_base58_string(encoded)
        except ValueError:
            raise SecretError(f"secret {secret_id}: secret_key is not a base58 64-byte keypair") from None
        public = value.get("public_key")
        if public is not None and public != str(keypair.pubkey()):
            raise SecretError(f"secret {secret_id}: public_key does not match secret_key")
        with self._lock:
            self._cache[secret_id] = keypair
        return keypair


def keypair_secret(keypair: Keypair) -> dict[str, str]:
    """The SecretString value for a keypair (for provisioning a sandbox; never written to a file or log)."""
    return {"secret_key": str(keypair), "public_key": str(keypair.pubkey())}
