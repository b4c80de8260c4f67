"""Disputes (chargebacks) over the fakes: recorded once on a captured payment with the time they became known,
idempotent, validated before anything is written, scoped to the merchant; the disputed money is no longer
refundable and the ledger (captured, refunded) is unchanged; payment.disputed carries what its consumers need."""

from datetime import timedelta

import pytest

from smartpay_payment.domain import model as m
from smartpay_payment.service_layer.payments import PaymentNotFound
from smartpay_payment.testing.builders import NOW, capture as captured
from smartpay_payment.testing.fakes import Clock, FakeGateway, fake_service

BODY = {"amount": 1250, "currency": "USD", "customer_id": "c_1", "payment_method": {"type": "card", "token": "pm_x"}}


@pytest.fixture
def world():
    gateway = FakeGateway("stripe")
    service, uow, _ = fake_service({"stripe": gateway}, Clock(NOW))
    return service, uow


def test_a_dispute_is_recorded_once_and_published_once(world):
    service, uow = world
    pid = service.pay("m_acme", BODY, "k1")[1]["payment_id"]
    captured(service, pid)
    known = NOW + timedelta(seconds=1)
    version = service.get("m_acme", pid)["version"]
    status, body = service.dispute("m_acme", pid, None, "fraudulent", known)
    assert status == 201 and body["amount"] == 1250 and body["dispute_id"].startswith("dsp_")
    assert body["known_at"] == known.isoformat() and body["refundable_amount"] == 0
    assert service.dispute("m_acme", pid, None, "fraudulent", known) == (200, body)  # a retry: same dispute
    assert service.dispute("m_acme", pid, 1250, "fraudulent", known) == (200, body)
    with pytest.raises(m.DisputeRefused) as refused:
        service.dispute("m_acme", pid, None, "duplicate", known)
    assert refused.value.conflict
    assert uow.types(pid).count("payment.disputed") == 1
    event = next(e for e in uow.published if e.event_type == "payment.disputed")
    assert event.metadata.correlation_id == pid and event.metadata.event_id
    assert event.data.model_dump(mode="json") == {
        "payment_id": pid, "merchant_id": "m_acme", "dispute_id": body["dispute_id"], "currency": "USD",
        "amount": 1250, "reason": "fraudulent", "known_at": known.isoformat().replace("+00:00", "Z"),
        "gateway": "stripe"}
    view = service.get("m_acme", pid)
    assert view["status"] == "captured" and view["version"] == version + 1  # the saga's state is unchanged
    assert view["captured_amount"] == 1250 and view["refunded_amount"] == 0 and view["disputed_amount"] == 1250
    assert view["timeline"][-1]["detail"].startswith(f"dispute {body['dispute_id']}: fraudulent")
    with pytest.raises(m.RefundRefused):  # the chargeback took the money back: no refund returns it twice
        service.refund("m_acme", pid, None, "after the chargeback")


def test_a_dispute_after_a_partial_refund_takes_what_is_left_and_nothing_more(world):
    service, uow = world
    pid = service.pay("m_acme", BODY, "k1")[1]["payment_id"]
    captured(service, pid)
    service.refund("m_acme", pid, 250, "partial")
    with pytest.raises(m.DisputeRefused, match="exceeds the 1000") as refused:
        service.dispute("m_acme", pid, 1001, "unrecognized", NOW)
    assert refused.value.field == "amount"
    status, body = service.dispute("m_acme", pid, 400, "unrecognized", NOW)
    assert status == 201 and body["amount"] == 400 and body["refundable_amount"] == 600
    after = service.refund("m_acme", pid, 600, "the rest")[1]["payment"]
    # 850 refunded + 400 charged back: nothing is left to refund; the refunds alone stay partial
    assert (after["status"], after["refunded_amount"], after["refundable_amount"]) == ("partially_refunded", 850, 0)
    with pytest.raises(m.RefundRefused):
        service.refund("m_acme", pid, 1, "more")


def test_a_bad_dispute_is_refused_before_anything_is_written(world):
    service, uow = world
    pid = service.pay("m_acme", BODY, "k1")[1]["payment_id"]
    with pytest.raises(m.DisputeRefused, match="nothing of it is captured"):
        service.dispute("m_acme", pid, None, "fraudulent", NOW)  # still in flight
    captured(service, pid)
    version = service.get("m_acme", pid)["version"]
    for known, field in [(NOW - timedelta(days=1), "known_at"), (NOW + timedelta(hours=1), "known_at")]:
        with pytest.raises(m.DisputeRefused) as refused:
            service.dispute("m_acme", pid, None, "fraudulent", known)
        assert refused.value.field == field
    with pytest.raises(PaymentNotFound):
        service.dispute("m_other", pid, None, "fraudulent", NOW)  # another merchant's payment does not exist
    assert service.get("m_acme", pid)["version"] == version and "payment.disputed" not in uow.types(pid)


def test_a_retry_without_known_at_a_moment_later_is_the_same_dispute():
    """known_at omitted means "now": the retry, a few seconds later, asks for the recorded dispute, not a second."""
    clock = Clock(NOW)
    service, uow, _ = fake_service({"stripe": FakeGateway("stripe")}, clock)
    pid = service.pay("m_acme", BODY, "k1")[1]["payment_id"]
    captured(service, pid)
    status, body = service.dispute("m_acme", pid, None, "fraudulent", None)
    assert status == 201 and body["known_at"] == clock.now.isoformat()
    clock.advance(3)
    assert service.dispute("m_acme", pid, None, "fraudulent", None) == (200, body)
    with pytest.raises(m.DisputeRefused) as refused:  # an explicit, different known_at is another dispute
        service.dispute("m_acme", pid, None, "fraudulent", clock.now)
    assert refused.value.conflict
    assert uow.types(pid).count("payment.disputed") == 1
