"""Stripe connector through the official SDK against a real localstripe process: authorize, capture,
partial refund, void, declines, redelivery without a second charge, and the ledger check."""

import uuid

import pytest
import stripe

from smartpay_payment.adapters.gateways import stripe_conversions as conv
from smartpay_payment.domain.charges import ChargeRequest, GatewayError
from smartpay_payment.adapters.gateways.faults import FaultInjectingGateway, FaultPlan
from smartpay_payment.adapters.gateways.stripe_gateway import StripeGateway
from smartpay_payment.testing.servers import LocalStripe

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def localstripe():
    with LocalStripe() as server:
        yield server


@pytest.fixture
def gateway(localstripe):
    return StripeGateway("sk_test_local", api_base=localstripe.url, timeout_seconds=5)


def card(localstripe, number):
    client = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe.url})
    return client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id


def charges_for(localstripe, reference):
    client = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe.url})
    intents = {i.id: i for i in client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
               if conv.metadata(i).get("smartpay_reference") == reference}
    return list(intents.values())


def new_ref(n):
    return f"pay_{uuid.uuid4().hex[:12]}{n}-1"


def request(ref, token, amount=1250):
    return ChargeRequest(reference=ref, amount=amount, currency="USD", method_token=token, customer_id="c_1",
                         merchant_id="m_acme")


def test_authorize_capture_partial_refund_matches_the_ledger(gateway, localstripe):
    ref = new_ref("1")
    auth = gateway.authorize(request(ref, card(localstripe, "4242424242424242")))
    assert auth.status == "authorized" and auth.gateway_reference.startswith("pi_")
    cap = gateway.capture(auth.gateway_reference, 1250, ref)
    assert (cap.status, cap.captured_amount) == ("captured", 1250)
    again = gateway.capture(auth.gateway_reference, 1250, ref)  # redelivered capture: a read
    assert again.captured_amount == 1250
    other_key = gateway.capture(auth.gateway_reference, 1250, f"{ref}-elsewhere")  # refused, then read back
    assert (other_key.status, other_key.captured_amount) == ("captured", 1250)
    first = gateway.refund(auth.gateway_reference, 300, f"{ref}-r1")
    same = gateway.refund(auth.gateway_reference, 300, f"{ref}-r1")  # repeated refund: not a second one
    assert first.refund_id == same.refund_id
    status = gateway.status(request(ref, "pm_x"))
    assert (status.status, status.captured_amount, status.refunded_amount) == ("partially_refunded", 1250, 300)
    assert len(charges_for(localstripe, ref)) == 1


def test_decline_card_maps_to_a_non_retriable_decline(gateway, localstripe):
    with pytest.raises(GatewayError) as info:
        gateway.authorize(request(new_ref("2"), card(localstripe, "4000000000000341")))
    assert info.value.declined and not info.value.retriable and info.value.code == "card_declined"


def test_void_releases_an_authorization(gateway, localstripe):
    ref = new_ref("3")
    auth = gateway.authorize(request(ref, card(localstripe, "4242424242424242")))
    assert gateway.void(auth.gateway_reference, ref).status == "voided"
    assert gateway.status(request(ref, "pm_x")).status == "voided"


def test_status_of_an_unknown_reference_is_none(gateway):
    assert gateway.status(request("pay_neverseen0001-1", "pm_x")) is None


def test_unreachable_stripe_is_a_retriable_timeout():
    dead = StripeGateway("sk_test_local", api_base="http://127.0.0.1:9", timeout_seconds=1)
    with pytest.raises(GatewayError) as info:
        dead.authorize(request(new_ref("4"), "pm_x"))
    assert info.value.retriable and info.value.code == "timeout"
    assert "sk_test" not in repr(dead)


def test_injected_faults_never_reach_the_provider(gateway, localstripe):
    faulty = FaultInjectingGateway(gateway, FaultPlan(script=["5xx", "timeout", "ok"]))
    token = card(localstripe, "4242424242424242")
    ref = new_ref("5")
    for code in ("gateway_5xx", "timeout"):
        with pytest.raises(GatewayError, match=code):
            faulty.authorize(request(ref, token))
    assert gateway.status(request(ref, "pm_x")) is None
    assert faulty.authorize(request(ref, token)).status == "authorized"
