"""The Amazon Pay LOCAL SANDBOX process verifies AMZN-PAY-RSASSA-PSS-V2 with the registered public key:
the connector's signed calls pass, a tampered, unsigned or unknown-key request is a 401 that changes
nothing, and a restarted sandbox with --keys-file still knows the key."""

import json
import uuid

import pytest
import requests

from smartpay_payment.adapters.gateways import amazon_pay_signing as signing
from smartpay_payment.adapters.gateways.amazon_pay_gateway import AmazonPayGateway
from smartpay_payment.domain.charges import ChargeRequest, GatewayError
from smartpay_payment.testing.servers import AmazonPaySandbox, amazon_checkout_session, amazon_ledger, amazon_profile

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox():
    with AmazonPaySandbox() as server:
        yield server


@pytest.fixture(scope="module")
def merchant_key(sandbox):
    private, public = signing.generate_key_pair()
    key_id = signing.sandbox_public_key_id(public)
    response = requests.post(f"{sandbox.url}/__sandbox/keys", json={"publicKeyId": key_id, "publicKey": public},
                             timeout=5)
    assert response.status_code == 201
    return key_id, private


def _request(token):
    return ChargeRequest(reference=f"pay_{uuid.uuid4().hex[:12]}-1", amount=1999, currency="USD",
                         method_token=token, customer_id="c_1", merchant_id="m_acme")


def _signed(key_id, private, method, url, body: dict | None, **kw):
    payload = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
    return payload, signing.signed_headers(signing.load_private_key(private), key_id, method, url, payload,
                                           region="us", **kw)


def test_the_connector_signs_and_the_sandbox_accepts(sandbox, merchant_key):
    amazon_profile(sandbox.url, approval="approve", error_rate=0.0)
    gateway = AmazonPayGateway(sandbox.url, *merchant_key, timeout_seconds=5)
    auth = gateway.authorize(_request(amazon_checkout_session(sandbox.url)))
    assert auth.status == "authorized"
    assert gateway.capture(auth.gateway_reference, 1999, "cap-1").captured_amount == 1999


def test_a_tampered_request_is_refused_and_changes_nothing(sandbox, merchant_key):
    # GIVEN an open checkout session and a correctly signed complete request for 19.99
    amazon_profile(sandbox.url, approval="approve", error_rate=0.0)
    session = amazon_checkout_session(sandbox.url)
    url = f"{sandbox.url}/sandbox/v2/checkoutSessions/{session}/complete"
    payload, headers = _signed(*merchant_key, "POST", url, {"chargeAmount": {"amount": "19.99",
                                                                             "currencyCode": "USD"}})
    charges_before = len(amazon_ledger(sandbox.url)["charges"])
    # WHEN someone on the way raises the amount without re-signing
    tampered = payload.replace(b"19.99", b"1999.00")
    response = requests.post(url, data=tampered, headers=headers, timeout=5)
    # THEN a 401 with Amazon Pay's reason code, and no charge was made
    assert response.status_code == 401
    assert response.json()["reasonCode"] == "InvalidRequestSignature"
    assert len(amazon_ledger(sandbox.url)["charges"]) == charges_before
    assert requests.post(url, data=payload, headers=headers, timeout=5).status_code == 200  # the original passes


def test_unsigned_unknown_key_and_wrong_key_are_refused(sandbox, merchant_key):
    url = f"{sandbox.url}/sandbox/v2/charges/S01-NOPE"
    assert requests.get(url, timeout=5).status_code == 401
    scheme_only = {"Authorization": "AMZN-PAY-RSASSA-PSS-V2 PublicKeyId=SANDBOX-KEY"}  # the old placeholder
    assert requests.get(url, headers=scheme_only, timeout=5).status_code == 401
    other_private, _ = signing.generate_key_pair()
    _, unknown = _signed("SANDBOX-UNKNOWN", other_private, "GET", url, None)
    refused = requests.get(url, headers=unknown, timeout=5)
    assert (refused.status_code, refused.json()["reasonCode"]) == (401, "UnauthorizedAccess")
    _, forged = _signed(merchant_key[0], other_private, "GET", url, None)  # right id, wrong private key
    assert requests.get(url, headers=forged, timeout=5).json()["reasonCode"] == "InvalidRequestSignature"


def test_a_connector_with_another_key_fails_as_a_gateway_error(sandbox, merchant_key):
    other_private, _ = signing.generate_key_pair()
    gateway = AmazonPayGateway(sandbox.url, merchant_key[0], other_private, timeout_seconds=5)
    with pytest.raises(GatewayError) as refused:
        gateway.authorize(_request(amazon_checkout_session(sandbox.url)))
    assert refused.value.code == "gateway_auth"


def test_registered_keys_survive_a_restart_with_keys_file(tmp_path):
    keys_file = tmp_path / "keys.json"
    private, public = signing.generate_key_pair()
    key_id = signing.sandbox_public_key_id(public)
    first = AmazonPaySandbox()
    first.cmd += ["--keys-file", str(keys_file)]
    with first:
        requests.post(f"{first.url}/__sandbox/keys", json={"publicKeyId": key_id, "publicKey": public}, timeout=5)
    second = AmazonPaySandbox()
    second.cmd += ["--keys-file", str(keys_file)]
    with second:
        assert requests.get(f"{second.url}/__sandbox/keys", timeout=5).json()["publicKeyIds"] == [key_id]
        auth = AmazonPayGateway(second.url, key_id, private, timeout_seconds=5).authorize(
            _request(amazon_checkout_session(second.url)))
        assert auth.status == "authorized"
