"""The API's use cases (pay, read, refund, timeline) over the fakes, and the timeline's arithmetic."""

from datetime import timedelta

import pytest

from smartpay_payment.adapters.gateways.faults import FaultInjectingGateway, FaultPlan
from smartpay_payment.adapters.idempotency import IdempotencyMismatch
from smartpay_payment.domain import model as m, steps
from smartpay_payment.domain.timeline import Cause, StageTiming, stages, timed
from smartpay_payment.service_layer.payments import PaymentNotFound, payment_timeline
from smartpay_payment.testing.builders import NOW, capture, fraud, requested, route
from smartpay_payment.testing.fakes import Clock, FakeGateway, fake_service
from smartpay_shared.events.envelope import Producer, new_envelope

BODY = {"amount": 1250, "currency": "USD", "customer_id": "c_1", "payment_method": {"type": "card", "token": "pm_x"}}


@pytest.fixture
def world():
    gateway = FakeGateway("stripe")
    service, uow, _ = fake_service({"stripe": gateway}, Clock(NOW))
    return service, uow, gateway


captured = capture


def test_pay_is_idempotent_per_merchant_and_key(world):
    service, uow, _ = world
    status, first = service.pay("m_acme", BODY, "k1")
    assert status == 202 and service.pay("m_acme", BODY, "k1") == (202, first)
    with pytest.raises(IdempotencyMismatch):
        service.pay("m_acme", {**BODY, "amount": 999}, "k1")
    assert service.pay("m_other", BODY, "k1")[1]["payment_id"] != first["payment_id"]
    assert uow.types(first["payment_id"]) == ["payment.requested"]


def test_a_payment_of_another_merchant_does_not_exist(world):
    service, _, _ = world
    pid = service.pay("m_acme", BODY, "k1")[1]["payment_id"]
    assert service.get("m_acme", pid)["status"] == "requested"
    with pytest.raises(PaymentNotFound):
        service.get("m_other", pid)
    with pytest.raises(PaymentNotFound):
        service.refund("m_other", pid, None, "no")


def test_partial_then_full_refund_and_never_above_the_capture(world):
    service, _, gateway = world
    pid = service.pay("m_acme", BODY, "k1")[1]["payment_id"]
    assert captured(service, pid)["status"] == "captured"
    assert service.refund("m_acme", pid, 250, "partial", key="r1")[1]["payment"]["status"] == "partially_refunded"
    assert service.refund("m_acme", pid, 250, "partial", key="r1")[0] == 200 and gateway.calls["refund"] == 1
    with pytest.raises(m.RefundRefused):
        service.refund("m_acme", pid, 5000, "too much")
    status, body = service.refund("m_acme", pid, None, "rest")
    assert (status, body["amount"], body["payment"]["status"]) == (200, 1000, "refunded")


def test_a_refund_the_gateway_cannot_take_now_stays_pending(world):
    service, _, gateway = world
    pid = service.pay("m_acme", BODY, "k1")[1]["payment_id"]
    captured(service, pid)
    service.saga.gateways["stripe"] = FaultInjectingGateway(gateway, FaultPlan(operations=frozenset({"refund"}),
                                                                               script=["5xx"]))
    status, body = service.refund("m_acme", pid, 500, "later")
    assert (status, body["status"]) == (202, "pending") and service.get("m_acme", pid)["refundable_amount"] == 750


def test_the_timeline_splits_each_stage_into_upstream_queued_and_handling():
    start = steps.start(requested(), NOW)
    payment = timed(start, Cause(None, NOW, source="api")).after
    event = new_envelope(fraud(), producer=Producer(service="fraud", version="0.1.0"), correlation_id="x",
                         occurred_at=NOW + timedelta(milliseconds=300))
    received = NOW + timedelta(milliseconds=450)
    payment = timed(steps.fraud_assessed(payment, fraud(), received + timedelta(milliseconds=20)),
                    Cause(event.metadata, received)).after
    rows = stages(payment)
    assert [(r.state, r.cause) for r in rows] == [("REQUESTED", "api"), ("FRAUD_CHECKED", "fraud.assessed")]
    checked = rows[1]
    assert (checked.elapsed, checked.upstream, checked.queued, checked.handling) == (470, 300, 150, 20)
    assert checked.since_start == 470 and rows[0].elapsed is None


def test_stages_one_handler_run_reached_after_its_first_count_from_the_stage_before():
    routed = steps.route_selected(steps.fraud_assessed(steps.start(requested(), NOW).after, fraud(), NOW).after, route(),
                              NOW + timedelta(milliseconds=10))
    cause = Cause(new_envelope(route(), producer=Producer(service="routing", version="0.1.0"),
                               correlation_id="x", occurred_at=NOW).metadata, NOW + timedelta(milliseconds=5))
    later = NOW + timedelta(milliseconds=40)
    payment = timed(routed, cause).after
    payment = timed(steps.authorized(payment, "ref", None, later), cause).after
    rows = stages(payment)[-2:]
    assert [(r.state, r.queued, r.handling) for r in rows] == [("ROUTED", 5, 5), ("AUTHORIZED", None, 30)]


def test_a_stage_without_timing_shows_none_and_the_timeline_reads_through_the_repository(world):
    service, uow, _ = world
    pid = service.pay("m_acme", BODY, "k1")[1]["payment_id"]
    rows = payment_timeline(uow.payments, pid, "m_acme")
    assert [(r.state, r.cause) for r in rows] == [("REQUESTED", "api")]
    with pytest.raises(PaymentNotFound):
        payment_timeline(uow.payments, pid, "m_other")
    bare = steps.start(requested(), NOW).after
    assert stages(bare)[0].queued is None and stages(bare)[0].cause is None
    assert StageTiming.model_fields.keys() == {"state", "at", "cause", "emitted_at", "received_at"}
