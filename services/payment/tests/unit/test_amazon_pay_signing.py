"""AMZN-PAY-RSASSA-PSS-V2: the canonical request and string to sign (deterministic, checked against strings
written out from the scheme), and a fixed-key vector (public key + a signature made once with its private
half, which is not kept anywhere): RSASSA-PSS is randomised, so the vector is checked by verification."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from smartpay_payment.adapters.gateways import amazon_pay_signing as signing

# GIVEN a POST with a body and an idempotency key, signed at a fixed time
AT = datetime(2026, 12, 1, 11, 30, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8430/sandbox/v2/checkoutSessions/abc/complete"
BODY = json.dumps({"chargeAmount": {"amount": "12.34", "currencyCode": "USD"}}, separators=(",", ":")).encode()
HEADERS = {"accept": "application/json", "content-type": "application/json", "x-amz-pay-date": "20261201T113000Z",
           "x-amz-pay-host": "127.0.0.1", "x-amz-pay-idempotency-key": "pay_1-1:authorize", "x-amz-pay-region": "na"}
CANONICAL = (
    "POST\n/sandbox/v2/checkoutSessions/abc/complete\n\n"
    "accept:application/json\ncontent-type:application/json\nx-amz-pay-date:20261201T113000Z\n"
    "x-amz-pay-host:127.0.0.1\nx-amz-pay-idempotency-key:pay_1-1:authorize\nx-amz-pay-region:na\n\n"
    "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region\n"
    "59433d6e2b3944178be0a5e430b93c8c7fa5a8be8f7a8db9b7f32953b37e6c5d"  # sha256sum of BODY
)
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArnEHP+P8v4zfZJUHdRUk
lLUBWdtwZJZlThANly1qk9TFmkHI3/HBmc9tAJRAyKfJ/BMlsPNIcpmjHjV6ThPU
70ff8HU7wqxfQm6/tp+s7VQ/UZUGwOEpCPZASAa6uPIjlNaWdH/SDaT0ZMu0YhDX
V/hzZtX83nN4exdPzk6RM2g0x90oRWROPWyreIcbYgJVpkd03pHk+5wo0Pe1Edoa
aHOhRLs6uG+blaXvzZ5LadYlhTeQIR7GmsQ90wwMnrcL7yKx1mJHVD/3xHc6Iflr
sAL91qVBVNYkCOR+P/Q66iJadvrr0KR7R19oOk/s1KX7W6MtBLpKxvM9LOxqcwEs
MQIDAQAB
-----END PUBLIC KEY-----
"""
SIGNATURE = (
    "I/CrRTShSbeaXH96+437J59WoUxItBtzQnn9DnWp1srkXhD4ow/F7eM6L7M6v59q40p//i3s2W3ZIksjQeQK+semcuSSgSl1iF6twejJebKd"
    "Of6zOzKhRgqYieYGA+NMQpDCmMCRs2QUioqJxFlzv7TvjaR5Z04LVO5oZ53Js7VLm7AK/VWAMXC7nS7G36W7qeityr9zJnF79P951w43iI9sL"
    "3HtfkNFq2o3SDKRXIWNSYwuQLETzj7vQJ0WFbKArnXfVCDsaLiWeSUD1pa/vAaQw9zk9aBtwjhVUgLkSNhv96F8CMvcVucSAPXHelbfY6PyH/h5a"
    "EmMKlUSUnnf2g=="
)
SIGNED = "accept;content-type;x-amz-pay-date;x-amz-pay-host;x-amz-pay-idempotency-key;x-amz-pay-region"
AUTHORIZATION = f"AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-TESTVECTOR, SignedHeaders={SIGNED}, Signature={SIGNATURE}"
PATH = "/sandbox/v2/checkoutSessions/abc/complete"


def _received(**changes):
    return {**HEADERS, "authorization": AUTHORIZATION, **changes}


def test_payload_hash_is_sha256_hex():
    assert signing.canonical_request("GET", "/", None, {}, b"payload").endswith(
        "239f59ed55e737c77147cf55ad0c1b030b6d7ee748a7426952f9b852d5a935e5")


def test_canonical_request_and_string_to_sign():
    canonical = signing.canonical_request("POST", PATH, None, HEADERS, BODY)
    assert canonical == CANONICAL
    to_sign = signing.string_to_sign(canonical)
    assert to_sign.split("\n")[0] == "AMZN-PAY-RSASSA-PSS-V2" and len(to_sign.split("\n")[1]) == 64


def test_header_names_are_lower_cased_sorted_and_query_encoded():
    canonical = signing.canonical_request("get", "/v2/reports", {"reportTypes": "A B", "createdSince": "x~y"},
                                          {"X-Amz-Pay-Region": "na", "Accept": "application/json"}, b"")
    assert canonical.split("\n")[:5] == ["GET", "/v2/reports", "createdSince=x~y&reportTypes=A%20B",
                                         "accept:application/json", "x-amz-pay-region:na"]


def test_signed_headers_match_the_fixed_vector_layout():
    private, _ = signing.generate_key_pair()
    headers = signing.signed_headers(signing.load_private_key(private), "SANDBOX-TESTVECTOR", "POST", URL, BODY,
                                     region="us", idempotency_key="pay_1-1:authorize", now=AT)
    assert {k: v for k, v in headers.items() if k != "authorization"} == HEADERS
    assert headers["authorization"].startswith(f"AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-TESTVECTOR, "
                                               f"SignedHeaders={SIGNED}, Signature=")


def test_fixed_vector_verifies():
    signing.verify(signing.load_public_key(PUBLIC_KEY), "POST", PATH, None, _received(), BODY, now=AT)


def test_fixed_vector_is_pss_sha256_with_a_32_byte_salt():
    """Independent of our verify(): the signature is RSASSA-PSS/SHA-256/MGF1-SHA-256, salt 32 (V2), not 20."""
    key = signing.load_public_key(PUBLIC_KEY)
    message = signing.string_to_sign(signing.canonical_request("POST", PATH, None, HEADERS, BODY)).encode()
    signature = base64.b64decode(SIGNATURE)
    key.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        key.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=20),
                   hashes.SHA256())


@pytest.mark.parametrize("method, path, headers, body", [
    ("POST", PATH, _received(), BODY.replace(b"12.34", b"99.99")),                        # amount changed
    ("POST", PATH.replace("abc", "abd"), _received(), BODY),                              # another session
    ("DELETE", PATH, _received(), BODY),                                                  # another method
    ("POST", PATH, _received(**{"x-amz-pay-idempotency-key": "pay_1-2:authorize"}), BODY),  # replayed key
    ("POST", PATH, _received(**{"x-amz-pay-region": "eu"}), BODY),
])
def test_a_tampered_request_is_refused(method, path, headers, body):
    with pytest.raises(signing.SignatureError) as refused:
        signing.verify(signing.load_public_key(PUBLIC_KEY), method, path, None, headers, body, now=AT)
    assert refused.value.code == "InvalidRequestSignature"


def test_another_key_is_refused():
    _, other = signing.generate_key_pair()
    with pytest.raises(signing.SignatureError):
        signing.verify(signing.load_public_key(other), "POST", PATH, None, _received(), BODY, now=AT)


def test_a_stale_date_and_an_unsigned_header_are_refused():
    key = signing.load_public_key(PUBLIC_KEY)
    with pytest.raises(signing.SignatureError) as stale:
        signing.verify(key, "POST", PATH, None, _received(), BODY, now=AT + timedelta(minutes=16))
    assert stale.value.code == "RequestExpired"
    unsigned = _received(authorization=AUTHORIZATION.replace("x-amz-pay-idempotency-key;", ""))
    with pytest.raises(signing.SignatureError) as missing:
        signing.verify(key, "POST", PATH, None, unsigned, BODY, now=AT)
    assert missing.value.code == "InvalidHeaderValue"
    with pytest.raises(signing.SignatureError):
        signing.verify(key, "POST", PATH, None, _received(authorization="AMZN-PAY-RSASSA-PSS-V2 x"), BODY, now=AT)


def test_round_trip_and_a_non_pem_key_fails_loudly_without_echoing_it():
    private, public = signing.generate_key_pair()
    headers = signing.signed_headers(signing.load_private_key(private), signing.sandbox_public_key_id(public),
                                     "GET", "https://pay-api.amazon.com/v2/charges/S01-1", b"", region="us")
    signing.verify(signing.load_public_key(public), "GET", "/v2/charges/S01-1", None, headers, b"")
    assert signing.sandbox_public_key_id(public).startswith("SANDBOX-")
    with pytest.raises(ValueError) as bad:
        signing.load_private_key("sandbox-secret-value")
    assert "sandbox-secret-value" not in str(bad.value)


def test_card_on_file_status_against_real_amazon_pay_is_a_loud_placeholder():
    """Real Amazon Pay has no charge lookup by our reference (the sandbox has one): not built, so it raises
    before any request instead of answering 'no charge' and risking a second one."""
    from smartpay_payment.adapters.gateways.amazon_pay_gateway import CHARGE_PERMISSION, AmazonPayGateway
    from smartpay_payment.domain.charges import ChargeRequest

    private, _ = signing.generate_key_pair()
    real = AmazonPayGateway("http://127.0.0.1:9", "LIVE-KEY", private, sandbox=False)
    request = ChargeRequest(reference="pay_x-1", amount=100, currency="USD", method_token=f"{CHARGE_PERMISSION}B01-1",
                            customer_id="c", merchant_id="m")
    with pytest.raises(NotImplementedError, match="reference lookup"):
        real.status(request)
