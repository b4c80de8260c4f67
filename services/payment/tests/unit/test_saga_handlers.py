"""The saga's handlers over the fakes (in-memory unit of work and gateways): every transition the
integration tests prove on moto and the emulators, here in milliseconds, plus the cases that need a
hand on the clock or on a concurrent writer."""

from datetime import timedelta

import pytest

from smartpay_payment.adapters.gateways.faults import FaultInjectingGateway, FaultPlan
from smartpay_payment.domain import model as m, steps
from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.service_layer.charging import CHARGE_LEASE
from smartpay_payment.service_layer.reconcile import reconcile
from smartpay_payment.testing.builders import NOW, fraud, requested, route
from smartpay_payment.testing.fakes import Clock, FakeGateway, fake_service
from smartpay_shared.events.envelope import Producer, new_envelope

PID = "pay_unit0000001"


def envelope(data, producer="routing"):
    return new_envelope(data, producer=Producer(service=producer, version="0.1.0"), correlation_id=data.payment_id)


class World:
    def __init__(self, **gateway_wrappers):
        self.raw = {name: FakeGateway(name) for name in ("stripe", "amazon_pay")}
        gateways = {name: gateway_wrappers.get(name, lambda g: g)(g) for name, g in self.raw.items()}
        self.clock = Clock(NOW)
        self.service, self.uow, self.slept = fake_service(gateways, self.clock)
        self.saga = self.service.saga
        # one card on both gateways (a vaulted card's frozen tokens)
        self.saga.start(requested(), gateway_tokens={"stripe": "pm_abc", "amazon_pay": "cp:abc"})

    def deliver(self, data):
        self.saga.handle(envelope(data))

    def record(self) -> m.Payment:
        return self.uow.payments.get(PID).payment

    def authorizes(self) -> int:
        return sum(g.calls["authorize"] for g in self.raw.values())

    def balanced(self, charges: int) -> None:
        check = reconcile(self.saga, self.record())
        assert check.ok and check.charges == charges, check


def test_happy_path_captures_once_and_publishes_the_authorization_with_the_capture():
    w = World()
    w.deliver(fraud())
    writes = w.uow.payments.writes
    w.deliver(route())
    payment = w.record()
    assert payment.state == m.State.CAPTURED and payment.captured_amount == 1250 and payment.charge_claim is None
    # route.selected: the route with its claim, then the authorization and the capture in one write
    assert w.uow.payments.writes - writes == 2
    assert [t.state for t in payment.timeline][-3:] == ["ROUTED", "AUTHORIZED", "CAPTURED"]
    assert payment.gateway_reference and payment.timeline[-2].at <= payment.timeline[-1].at
    assert w.uow.types(PID) == ["payment.requested", "payment.completed", "payment.authorized", "payment.captured"]
    assert w.raw["stripe"].calls["authorize"] == 1 and len(w.raw["stripe"].holding(PID)) == 1
    assert w.uow.payments.get(PID).outbox == {}
    w.balanced(charges=1)


def test_a_retriable_failure_reroutes_at_once_excluding_the_tried_gateway():
    w = World(stripe=lambda g: FaultInjectingGateway(g, FaultPlan(script=["5xx"])))
    w.deliver(fraud())
    w.deliver(route())
    payment = w.record()
    assert payment.state == m.State.REROUTING and payment.attempt == 2
    asked = [e.data for e in w.uow.published if e.event_type == "route.requested"][-1]
    assert (asked.attempt, asked.excluded_gateways) == (2, ["stripe"])
    w.deliver(route(attempt=2, gateway="amazon_pay"))
    payment = w.record()
    assert payment.state == m.State.CAPTURED and payment.tried_gateways == ["stripe", "amazon_pay"]
    assert [a.outcome for a in payment.attempts] == ["failed", "captured"]
    assert w.raw["stripe"].charges == {} and w.raw["stripe"].calls["status"] == 1  # unknown outcome: read back
    assert w.slept == []  # no wait: the read said nothing was charged
    w.balanced(charges=1)


def test_a_gateway_decline_is_final():
    w = World()
    w.raw["stripe"].decline_tokens = frozenset({"pm_abc"})
    w.deliver(fraud())
    w.deliver(route())
    payment = w.record()
    assert payment.state == m.State.DECLINED and payment.decline_code == "card_declined"
    assert "payment.declined" in w.uow.types(PID) and "route.requested" not in w.uow.types(PID)


def test_a_fraud_decline_never_reaches_a_gateway_even_when_a_route_comes():
    w = World()
    w.deliver(fraud("decline", 0.97))
    w.deliver(route())
    assert w.record().state == m.State.FRAUD_DECLINED and w.authorizes() == 0


def test_a_duplicate_delivery_is_a_no_op():
    w = World()
    fraud_event, route_event = envelope(fraud()), envelope(route())
    for e in (fraud_event, fraud_event, route_event, route_event):
        w.saga.handle(e)
    payment = w.record()
    assert payment.state == m.State.CAPTURED and payment.version == 5 and w.authorizes() == 1
    assert w.uow.types(PID).count("payment.captured") == 1


def test_a_claim_held_by_another_delivery_backs_off_until_its_lease_ends_then_is_taken_over():
    w = World()
    w.deliver(fraud())
    routed = w.saga.commit(steps.route_selected(w.record(), route(), NOW, m.ChargeClaim(owner="other", until=NOW
                                                                                   + CHARGE_LEASE)), None)
    with pytest.raises(m.ChargeClaimed) as backed_off:
        w.deliver(route())  # the same route again: the other delivery is (as far as we know) charging
    assert backed_off.value.retry_after_seconds == int(CHARGE_LEASE.total_seconds()) + 1
    assert w.authorizes() == 0 and w.record().charge_claim.owner == "other" and routed.state == m.State.ROUTED
    w.clock.advance(CHARGE_LEASE.total_seconds() + 1)  # its worker died: the lease ran out
    w.deliver(route())
    assert w.record().state == m.State.CAPTURED and w.authorizes() == 1
    assert w.raw["stripe"].calls["status"] >= 1  # the gateway's record was read before charging
    w.balanced(charges=1)


def test_a_taken_over_attempt_that_already_charged_is_not_charged_again():
    w = World()
    w.deliver(fraud())
    routed = w.saga.commit(steps.route_selected(w.record(), route(), NOW, m.ChargeClaim(owner="dead", until=NOW)), None)
    w.raw["stripe"].authorize(w.saga.charge_request(routed))  # the dead worker's call went through
    w.clock.advance(1)
    w.deliver(route())
    assert w.record().state == m.State.CAPTURED and w.authorizes() == 1
    w.balanced(charges=1)


class SweptDuringCharge(FaultInjectingGateway):
    """The sweeper fails the saga while the gateway call is in flight, which it can do only once the call
    outlived the attempt's charge claim (while the claim is live its resume backs off)."""

    def __init__(self, inner, world):
        super().__init__(inner, FaultPlan())
        self.world = world

    def authorize(self, request):
        self.world.clock.advance(CHARGE_LEASE.total_seconds() + 1)
        self.world.saga.fail_saga(self.world.record(), None, "saga_timeout", "swept")
        return self.inner.authorize(request)


def test_a_late_charge_on_a_failed_saga_is_voided_and_a_late_capture_refunded():
    w = World()
    w.saga.gateways["stripe"] = SweptDuringCharge(w.raw["stripe"], w)
    w.deliver(fraud())
    w.deliver(route())
    assert w.record().state == m.State.FAILED and w.raw["stripe"].holding(PID) == []  # the hold was voided
    assert [c["status"] for c in w.raw["stripe"].charges.values()] == ["voided"]
    result = w.raw["stripe"].capture(w.raw["stripe"].authorize(w.saga.charge_request(w.record())).gateway_reference,
                                     1250, "late")
    w.saga.compensate(w.record(), None, result, w.raw["stripe"])  # a capture landing late: refunded
    payment = w.record()
    assert (payment.state, payment.captured_amount, payment.refunded_amount) == (m.State.FAILED, 1250, 1250)
    assert w.raw["stripe"].holding(PID) == []
    w.saga.compensate(w.record(), None, result, w.raw["stripe"])  # found again (reconcile): no second refund
    assert w.raw["stripe"].calls["refund"] == 1


class SweptPastTheDeadlineDuringCharge(FaultInjectingGateway):
    """The real sweeper runs while the capture is in flight, with the saga past its deadline."""

    def __init__(self, inner, world):
        super().__init__(inner, FaultPlan())
        self.world, self.reports = world, []

    def capture(self, reference, amount, request_reference):
        from smartpay_payment.service_layer.sweeper import sweep
        self.reports.append(sweep(self.world.saga, outbox_grace=timedelta(0),
                                  now=self.world.clock.now + timedelta(seconds=61)))
        return self.inner.capture(reference, amount, request_reference)


def test_the_sweeper_backs_off_a_live_claim_so_authorization_and_capture_are_one_write():
    """Between the authorization and the capture the record stays ROUTED (no AUTHORIZED write): the live claim
    is what keeps the sweeper (and any duplicate delivery) off the attempt."""
    w = World()
    swept = SweptPastTheDeadlineDuringCharge(w.raw["stripe"], w)
    w.saga.gateways["stripe"] = swept
    w.deliver(fraud())
    w.deliver(route())
    (report,) = swept.reports
    assert report.resumed == 0 and report.failed == 0 and len(report.errors) == 1  # ChargeClaimed: backed off
    payment = w.record()
    assert payment.state == m.State.CAPTURED and w.raw["stripe"].calls["authorize"] == 1
    assert w.raw["stripe"].calls["void"] == 0 and w.raw["stripe"].calls["refund"] == 0
    w.balanced(charges=1)


def test_a_route_before_the_fraud_result_is_kept_and_charged_with_it_without_a_redelivery():
    w = World()
    w.deliver(route())  # routing heard fraud.assessed first
    assert w.record().state == m.State.REQUESTED and w.record().early_route == route() and w.authorizes() == 0
    w.deliver(route())  # a duplicate of it: still one kept
    w.deliver(fraud())
    payment = w.record()
    assert payment.state == m.State.CAPTURED and w.authorizes() == 1 and w.slept == []
    assert [t.cause for t in payment.timings if t.state in ("FRAUD_CHECKED", "ROUTED")] == ["fraud.assessed"] * 2
    w.deliver(fraud())  # a duplicate fraud result once captured: a no-op
    assert w.authorizes() == 1


def test_a_capture_that_keeps_failing_is_voided_and_rerouted_in_process():
    w = World(stripe=lambda g: FaultInjectingGateway(g, FaultPlan(operations=frozenset({"capture"}),
                                                                  server_error_rate=1.0)))
    w.deliver(fraud())
    w.deliver(route())  # no exception: nothing for the queue to redeliver
    payment = w.record()
    assert payment.state == m.State.REROUTING and payment.attempts[-1].code == "gateway_5xx"
    assert [c["status"] for c in w.raw["stripe"].charges.values()] == ["voided"]
    assert w.slept == [0.2, 0.4]  # three captures, each failure read back first
    w.deliver(route(attempt=2, gateway="amazon_pay"))
    assert w.record().state == m.State.CAPTURED
    w.balanced(charges=1)


def test_a_failed_capture_whose_hold_cannot_be_voided_keeps_the_authorization():
    w = World(stripe=lambda g: FaultInjectingGateway(g, FaultPlan(operations=frozenset({"capture", "void"}),
                                                                  timeout_rate=1.0)))
    w.deliver(fraud())
    with pytest.raises(GatewayError):  # money may be held: the queue retries the capture later
        w.deliver(route())
    payment = w.record()
    assert payment.state == m.State.AUTHORIZED and payment.charge_claim is None  # released for the redelivery
    assert "payment.authorized" in w.uow.types(PID)


def test_a_capture_whose_answer_was_lost_is_read_back_not_captured_again():
    class LosesCaptureAnswer(FaultInjectingGateway):
        def capture(self, *args):
            self.inner.capture(*args)
            raise GatewayError("timeout", "answer lost", retriable=True, gateway=self.name)

    w = World(stripe=lambda g: LosesCaptureAnswer(g, FaultPlan()))
    w.deliver(fraud())
    w.deliver(route())
    assert w.record().state == m.State.CAPTURED and w.raw["stripe"].calls["capture"] == 1
    w.balanced(charges=1)


def test_each_stage_records_when_its_event_was_emitted_and_when_its_handler_started():
    w = World()
    fraud_event = envelope(fraud())
    w.clock.advance(2)  # two seconds queued
    w.saga.handle(fraud_event)
    timing = w.record().timings[-1]
    assert (timing.state, timing.cause) == ("FRAUD_CHECKED", "fraud.assessed")
    assert timing.emitted_at == fraud_event.metadata.occurred_at and timing.received_at == w.clock.now
    assert [t.cause for t in w.record().timings] == ["api", "fraud.assessed"]
