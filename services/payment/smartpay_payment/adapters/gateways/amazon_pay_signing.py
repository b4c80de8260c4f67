"""Amazon Pay API v2 request signing (AMZN-PAY-RSASSA-PSS-V2), both sides: the connector signs, the local
sandbox verifies. Canonical request -> string to sign -> RSASSA-PSS (SHA-256, MGF1 SHA-256) -> base64,
as the official SDKs do. V2 uses a 32-byte salt (the retired AMZN-PAY-RSASSA-PSS scheme used 20)."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ALGORITHM = "AMZN-PAY-RSASSA-PSS-V2"
SALT_LENGTH = 32
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# Amazon Pay v2 regions as the SDKs send them ('us' is spelled 'na').
REGIONS = {"us": "na", "na": "na", "eu": "eu", "de": "eu", "uk": "eu", "jp": "jp"}
_AUTH = re.compile(rf"^{ALGORITHM} PublicKeyId=([^,\s]+), SignedHeaders=([a-z0-9;-]+), Signature=([A-Za-z0-9+/=]+)$")


class SignatureError(Exception):
    """A request whose signature is missing, malformed or wrong; `code` is Amazon Pay's reasonCode."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _hex_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_query(params: dict[str, str] | None) -> str:
    return "&".join(f"{k}={_encode(str(v))}" for k, v in sorted((params or {}).items()) if v not in (None, ""))


def canonical_request(method: str, path: str, params: dict[str, str] | None, headers: dict[str, str],
                      payload: bytes) -> str:
    """`headers`: exactly the signed ones (any case); their names go in lower case, sorted."""
    signed = {k.lower(): str(v).strip() for k, v in headers.items()}
    names = sorted(signed)
    lines = [method.upper(), path or "/", canonical_query(params)]
    lines += [f"{name}:{signed[name]}" for name in names]
    return "\n".join(lines) + "\n\n" + ";".join(names) + "\n" + _hex_sha256(payload)


def string_to_sign(canonical: str) -> str:
    return f"{ALGORITHM}\n{_hex_sha256(canonical.encode())}"


def _pss() -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=SALT_LENGTH)


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("the Amazon Pay private key is not a PEM RSA key") from None  # never echo the key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the Amazon Pay private key is not an RSA key")
    return key


def signed_headers(private_key: rsa.RSAPrivateKey, public_key_id: str, method: str, url: str, payload: bytes,
                   *, region: str, params: dict[str, str] | None = None, idempotency_key: str | None = None,
                   now: datetime | None = None) -> dict[str, str]:
    """The headers to send: the signed ones plus `authorization`."""
    headers = {"accept": "application/json", "content-type": "application/json",
               "x-amz-pay-date": (now or datetime.now(UTC)).strftime(DATE_FORMAT),
               "x-amz-pay-host": urlsplit(url).hostname or "",
               "x-amz-pay-region": REGIONS.get(region.lower(), region.lower())}
    if idempotency_key:
        headers["x-amz-pay-idempotency-key"] = idempotency_key
    canonical = canonical_request(method, urlsplit(url).path, params, headers, payload)
    signature = private_key.sign(string_to_sign(canonical).encode(), _pss(), hashes.SHA256())
    headers["authorization"] = (f"{ALGORITHM} PublicKeyId={public_key_id}, SignedHeaders={';'.join(sorted(headers))}, "
                                f"Signature={base64.b64encode(signature).decode()}")
    return headers


def parse_authorization(value: str) -> tuple[str, list[str], bytes]:
    """(public key id, signed header names, signature) of an `authorization` header."""
    match = _AUTH.match(value or "")
    if not match:
        raise SignatureError("InvalidHeaderValue", f"authorization is not '{ALGORITHM} PublicKeyId=..., "
                                                   "SignedHeaders=..., Signature=...'")
    return match.group(1), match.group(2).split(";"), base64.b64decode(match.group(3))


REQUIRED_SIGNED = ("x-amz-pay-date", "x-amz-pay-host", "x-amz-pay-region")


def verify(public_key: rsa.RSAPublicKey, method: str, path: str, params: dict[str, str] | None,
           headers: dict[str, str], payload: bytes, *, max_skew_seconds: float = 900,
           now: datetime | None = None) -> None:
    """Raise SignatureError unless `headers` (as received, any case) carry a valid signature."""
    received = {k.lower(): v for k, v in headers.items()}
    _, names, signature = parse_authorization(received.get("authorization", ""))
    missing = [n for n in (*REQUIRED_SIGNED, *(["x-amz-pay-idempotency-key"]
                                               if "x-amz-pay-idempotency-key" in received else []))
               if n not in names]
    if missing or any(n not in received for n in names):
        raise SignatureError("InvalidHeaderValue", f"headers not signed or not sent: {missing or names}")
    try:
        signed_at = datetime.strptime(received["x-amz-pay-date"], DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError("InvalidHeaderValue", "x-amz-pay-date is not YYYYMMDDTHHMMSSZ") from None
    if abs(((now or datetime.now(UTC)) - signed_at).total_seconds()) > max_skew_seconds:
        raise SignatureError("RequestExpired", "x-amz-pay-date is too far from the server's clock")
    canonical = canonical_request(method, path, params, {n: received[n] for n in names}, payload)
    try:
        public_key.verify(signature, string_to_sign(canonical).encode(), _pss(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureError("InvalidRequestSignature", "the signature does not match the request") from None


def generate_key_pair(bits: int = 2048) -> tuple[str, str]:
    """(private key PEM, public key PEM): what a merchant makes before uploading the public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return private, public_pem(key)


def public_pem(private_key: rsa.RSAPrivateKey) -> str:
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def sandbox_public_key_id(public_key: str) -> str:
    """A stable id for a public key, in the shape Amazon gives sandbox keys (SANDBOX-<24 base32>)."""
    digest = hashlib.sha256(public_key.strip().encode()).digest()
    return "SANDBOX-" + base64.b32encode(digest).decode()[:24]
