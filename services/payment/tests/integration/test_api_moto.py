"""The API through the Powertools resolver with API Gateway proxy events carrying verified claims,
on a real moto server and real localstripe: 202/200/404/409/422, merchant scoping, idempotent pay."""

import json

import pytest
import stripe

from smartpay_payment.testing.api_events import call
from smartpay_payment.testing.builders import capture
from smartpay_payment.domain.model import State
from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Producer, new_envelope

pytestmark = pytest.mark.integration



@pytest.fixture
def card(localstripe_server):
    client = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe_server.url})
    return client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}).id


def pay_body(token, amount=1250):
    return {"amount": amount, "currency": "USD", "customer_id": "c_1", "country": "US",
            "payment_method": {"type": "card", "token": token, "last4": "4242", "brand": "visa"}}


def get(pid, merchant="m_acme"):
    return call("GET", f"/payments/{pid}", merchant=merchant, resource="/payments/{payment_id}",
                params={"payment_id": pid})


def test_pay_is_idempotent_and_conflicts_on_another_body(wired, card, listener):
    status, body = call("POST", "/pay", pay_body(card), headers={"Idempotency-Key": "order-1"})
    assert status == 202 and body["payment_id"].startswith("pay_") and body["status"] == "requested"
    again = call("POST", "/pay", pay_body(card), headers={"Idempotency-Key": "order-1"})
    assert again == (202, body)
    assert call("POST", "/pay", pay_body(card, 999), headers={"Idempotency-Key": "order-1"})[0] == 409
    other = call("POST", "/pay", pay_body(card), merchant="m_other", headers={"Idempotency-Key": "order-1"})
    assert other[0] == 202 and other[1]["payment_id"] != body["payment_id"]  # keys are per merchant
    seen = listener.wait_for(lambda evs: sum(e["detail-type"] == "payment.requested" for e in evs) >= 2)
    requested = [e for e in seen if e["detail-type"] == "payment.requested"]
    assert sorted(e["detail"]["data"]["merchant_id"] for e in requested) == ["m_acme", "m_other"]
    assert "4242424242424242" not in json.dumps(seen)


def test_bad_input_is_422_with_field_detail(wired, card):
    status, body = call("POST", "/pay", {**pay_body(card), "amount": -5}, headers={"Idempotency-Key": "k"})
    assert status == 422 and any("amount" in d["loc"] for d in body["errors"])
    status, body = call("POST", "/pay", pay_body(card))  # no Idempotency-Key
    assert status == 422 and any("idempotency-key" in str(d["loc"]).lower() for d in body["errors"])
    bad_card = {**pay_body(card), "payment_method": {"type": "card", "token": "4242 4242 4242 4242"}}
    assert call("POST", "/pay", bad_card, headers={"Idempotency-Key": "k2"})[0] == 422
    pan = {**pay_body(card), "payment_method": {"type": "card", "token": "4242424242424242"}}
    status, body = call("POST", "/pay", pan, headers={"Idempotency-Key": "k3"})
    assert status == 422 and body["errors"][0]["loc"] == ["body", "payment_method", "token"]
    assert "4242424242424242" not in json.dumps(body)


def test_get_shows_the_saga_and_hides_it_from_other_merchants(wired, card):
    pid = call("POST", "/pay", pay_body(card), headers={"Idempotency-Key": "order-2"})[1]["payment_id"]
    producer = Producer(service="routing", version="0.1.0")
    saga = wired.saga
    saga.handle(new_envelope(p.FraudAssessed(
        payment_id=pid, merchant_id="m_acme", score=0.1, decision="approve", model_version="m",
        threshold_version="t", payment=p.PaymentContext(amount=1250, currency="USD", method="card")),
        producer=producer, correlation_id=pid))
    saga.handle(new_envelope(p.RouteSelected(payment_id=pid, merchant_id="m_acme", attempt=1, gateway="stripe",
                                             propensity=1.0, policy_version="v", explanation="only"),
                             producer=producer, correlation_id=pid))
    status, body = get(pid)
    assert status == 200 and body["status"] == "captured" and body["gateway"] == "stripe"
    assert body["payment_method"]["last4"] == "4242" and body["captured_amount"] == 1250
    assert [t["state"] for t in body["timeline"]] == ["REQUESTED", "FRAUD_CHECKED", "ROUTED", "AUTHORIZED",
                                                      "CAPTURED"]
    assert get(pid, merchant="m_other")[0] == 404
    assert get("pay_doesnotexist00")[0] == 404
    assert get("not-an-id")[0] == 422

    refund = lambda b, m="m_acme": call("POST", f"/payments/{pid}/refund", b, merchant=m,  # noqa: E731
                                        resource="/payments/{payment_id}/refund", params={"payment_id": pid})
    assert refund({"amount": 100}, m="m_other")[0] == 404
    assert refund({"amount": 5000})[0] == 422
    status, body = refund({"amount": 300})
    assert status == 200 and body["payment"]["refunded_amount"] == 300
    status, body = refund({})
    assert status == 200 and body["amount"] == 950 and body["payment"]["status"] == "refunded"
    assert refund({"amount": 1})[0] == 422
    assert wired.saga.store.repo.get(pid).payment.state == State.REFUNDED


def test_a_dispute_is_recorded_once_published_and_scoped_to_the_merchant(wired, card, listener):
    pid = call("POST", "/pay", pay_body(card), headers={"Idempotency-Key": "order-dispute"})[1]["payment_id"]

    def dispute(body, merchant="m_acme", payment_id=pid):
        return call("POST", f"/payments/{payment_id}/disputes", body, merchant=merchant,
                    resource="/payments/{payment_id}/disputes", params={"payment_id": payment_id})

    assert dispute({"reason": "fraudulent"})[0] == 422  # not captured yet: nothing to take back
    capture(wired, pid)
    known = wired.saga.clock().isoformat()
    body = {"reason": "fraudulent", "known_at": known}
    assert dispute(body, merchant="m_other")[0] == 404  # another merchant's payment does not exist
    assert dispute(body, payment_id="pay_doesnotexist00")[0] == 404
    status, problem = dispute({"reason": "stolen", "known_at": known})
    assert status == 422 and problem["errors"][0]["loc"] == ["body", "reason"]
    status, problem = dispute({"reason": "fraudulent", "known_at": "2020-01-01T00:00:00Z"})
    assert status == 422 and "before the payment" in problem["detail"]
    assert dispute({"reason": "fraudulent", "known_at": "2099-01-01T00:00:00Z"})[0] == 422
    assert dispute({"reason": "fraudulent", "known_at": "2026-12-01T10:00:00"})[0] == 422  # no offset
    assert dispute({**body, "amount": 99_999})[0] == 422
    status, created = dispute(body)
    assert status == 201 and created["amount"] == 1250 and created["refundable_amount"] == 0
    assert dispute(body) == (200, created)  # a retry
    assert dispute({**body, "reason": "duplicate"})[0] == 409
    seen = listener.wait_for(lambda evs: any(e["detail-type"] == "payment.disputed" for e in evs))
    disputed = [e for e in seen if e["detail-type"] == "payment.disputed"]
    assert len(disputed) == 1 and disputed[0]["source"] == "smartpay.payment"
    assert disputed[0]["detail"]["data"] == {
        "payment_id": pid, "merchant_id": "m_acme", "dispute_id": created["dispute_id"], "currency": "USD",
        "amount": 1250, "reason": "fraudulent", "known_at": known.replace("+00:00", "Z"), "gateway": "stripe"}
    refund = call("POST", f"/payments/{pid}/refund", {}, resource="/payments/{payment_id}/refund",
                  params={"payment_id": pid})
    assert refund[0] == 422  # the chargeback took the money back
    shown = get(pid)[1]
    assert shown["status"] == "captured" and shown["disputes"][0]["dispute_id"] == created["dispute_id"]
