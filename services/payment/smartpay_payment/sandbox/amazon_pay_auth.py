"""Request authentication of the Amazon Pay LOCAL SANDBOX: the registered public keys (what a merchant
uploads in Seller Central, here `POST /__sandbox/keys`) and the AMZN-PAY-RSASSA-PSS-V2 check of every
merchant call. Buyer-side calls (the checkout the buyer does on Amazon's pages) carry no merchant key."""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path

from smartpay_payment.adapters.gateways import amazon_pay_signing as signing

# Sandbox endpoints that stand for the buyer's own steps on Amazon (not merchant API calls).
BUYER_SIDE = frozenset({"create_session", "create_charge_permission"})


class KeyRegistry:
    """Public key id -> RSA public key; optionally kept in a JSON file so a restarted sandbox still knows them."""

    def __init__(self, path: Path | None = None):
        self._path = path
        self._keys: dict[str, str] = {}
        self._lock = threading.Lock()
        if path and path.exists():
            for key_id, pem in json.loads(path.read_text()).items():
                self.register(key_id, pem, persist=False)

    def register(self, key_id: str, public_key: str, *, persist: bool = True) -> None:
        signing.load_public_key(public_key)  # a malformed key is a 400, not a later 401
        with self._lock:
            self._keys[key_id] = public_key
            if persist and self._path:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                self._path.write_text(json.dumps(self._keys, indent=1))

    def ids(self) -> list[str]:
        return sorted(self._keys)

    def get(self, key_id: str) -> str | None:
        return self._keys.get(key_id)


def authenticate(registry: KeyRegistry, endpoint: str, method: str, path: str, host: str,
                 params: dict[str, str], headers: dict[str, str], body: bytes) -> dict | None:
    """None when the call may go on; else the 401 body (reasonCode + message)."""
    authorization = headers.get("authorization", "")
    if endpoint in BUYER_SIDE and "Signature=" not in authorization:
        return None
    try:
        key_id, _, _ = signing.parse_authorization(authorization)
        public_key = registry.get(key_id)
        if public_key is None:
            raise signing.SignatureError("UnauthorizedAccess", f"unknown public key id {key_id}")
        if headers.get("x-amz-pay-host", "") != host:
            raise signing.SignatureError("InvalidHeaderValue", "x-amz-pay-host is not this host")
        signing.verify(signing.load_public_key(public_key), method, path, params, headers, body)
    except signing.SignatureError as e:
        return {"reasonCode": e.code, "message": str(e)}
    return None


@lru_cache(maxsize=8)
def sandbox_merchant_key(sandbox_url: str) -> tuple[str, str]:
    """(public key id, private key PEM) of a fresh key pair registered with the sandbox at `sandbox_url`:
    what tests and benchmarks give an AmazonPayGateway (the local stack uses `smartpay payment put-secrets`)."""
    import requests

    private, public = signing.generate_key_pair()
    key_id = signing.sandbox_public_key_id(public)
    response = requests.post(f"{sandbox_url.rstrip('/')}/__sandbox/keys", timeout=10,
                             json={"publicKeyId": key_id, "publicKey": public})
    response.raise_for_status()
    return key_id, private
