"""Amazon Pay connector over HTTP against the real local sandbox process: authorize, capture, partial
refund, void, declines, 5xx, idempotent redelivery, and the sandbox ledger check."""

import uuid

import pytest

from smartpay_payment.adapters.gateways.amazon_pay_gateway import AmazonPayGateway
from smartpay_payment.domain.charges import ChargeRequest, GatewayError
from smartpay_payment.sandbox.amazon_pay_auth import sandbox_merchant_key
from smartpay_payment.testing.servers import AmazonPaySandbox, amazon_checkout_session, amazon_ledger, amazon_profile

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox():
    with AmazonPaySandbox() as server:
        yield server


@pytest.fixture
def gateway(sandbox):
    amazon_profile(sandbox.url, approval="approve")
    return AmazonPayGateway(sandbox.url, *sandbox_merchant_key(sandbox.url), timeout_seconds=5)


def request(token, amount=1999):
    return ChargeRequest(reference=f"pay_{uuid.uuid4().hex[:12]}-1", amount=amount, currency="USD",
                         method_token=token, customer_id="c_1", merchant_id="m_acme")


def test_charge_capture_partial_refund_and_ledger(gateway, sandbox):
    req = request(amazon_checkout_session(sandbox.url))
    auth = gateway.authorize(req)
    assert auth.status == "authorized"
    assert gateway.authorize(req).gateway_reference == auth.gateway_reference  # redelivery: same charge
    cap = gateway.capture(auth.gateway_reference, 1999, req.reference)
    assert (cap.status, cap.captured_amount) == ("captured", 1999)
    refund = gateway.refund(auth.gateway_reference, 500, f"{req.reference}-r1")
    assert gateway.refund(auth.gateway_reference, 500, f"{req.reference}-r1").refund_id == refund.refund_id
    status = gateway.status(req)
    assert (status.status, status.captured_amount, status.refunded_amount) == ("partially_refunded", 1999, 500)
    ledger = amazon_ledger(sandbox.url)
    mine = [c for c in ledger["charges"] if c["chargeId"] == auth.gateway_reference]
    assert len(mine) == 1 and mine[0]["captureAmount"]["amount"] == "19.99"
    assert [r["refundAmount"]["amount"] for r in ledger["refunds"] if r["chargeId"] == auth.gateway_reference] == [
        "5.00"]
    with pytest.raises(GatewayError) as info:
        gateway.refund(auth.gateway_reference, 1500, f"{req.reference}-r2")
    assert info.value.code == "TransactionAmountExceeded" and not info.value.retriable


def test_hard_and_soft_declines(gateway, sandbox):
    with pytest.raises(GatewayError) as hard:
        gateway.authorize(request(amazon_checkout_session(sandbox.url, simulation="decline")))
    assert hard.value.declined and not hard.value.retriable and hard.value.code == "HardDeclined"
    with pytest.raises(GatewayError) as soft:
        gateway.authorize(request(amazon_checkout_session(sandbox.url, simulation="soft_decline")))
    assert soft.value.retriable and soft.value.code == "SoftDeclined"


def test_void_and_unknown_session(gateway, sandbox):
    req = request(amazon_checkout_session(sandbox.url))
    assert gateway.status(req) is None  # session open, nothing charged yet
    auth = gateway.authorize(req)
    assert gateway.void(auth.gateway_reference, req.reference).status == "voided"
    assert gateway.status(request("no-such-session")) is None


def test_server_errors_are_retriable_and_change_nothing(gateway, sandbox):
    amazon_profile(sandbox.url, error_rate=1.0)
    req = request("any-session")
    with pytest.raises(GatewayError) as info:
        gateway.authorize(req)
    assert info.value.retriable and info.value.code == "gateway_5xx"
    amazon_profile(sandbox.url, approval="approve")


def test_latency_profile_is_visible_in_latency(gateway, sandbox):
    req = request(amazon_checkout_session(sandbox.url))
    amazon_profile(sandbox.url, latency_ms=80)
    assert gateway.authorize(req).latency_ms >= 150  # two calls, 80 ms each
    amazon_profile(sandbox.url, approval="approve")


def test_unsigned_requests_are_refused(sandbox):
    import requests
    assert requests.get(f"{sandbox.url}/sandbox/v2/charges/x", timeout=5).status_code == 401
    key_id, private_key = sandbox_merchant_key(sandbox.url)
    shown = repr(AmazonPayGateway(sandbox.url, key_id, private_key))
    assert "PRIVATE KEY" not in shown and private_key.splitlines()[1] not in shown
