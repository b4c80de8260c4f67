"""The one conflict-retry helper, the one gateway backoff helper, the publish retry, and the one event map
(queue consumer, saga and manifest agree)."""

import pytest

from smartpay_payment.domain import model as m, steps
from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.entrypoints import queue_consumer
from smartpay_payment.service_layer.ports import ConcurrencyConflict
from smartpay_payment.service_layer.retries import MAX_CONFLICT_RETRIES, on_conflict, with_backoff
from smartpay_payment.service_layer.saga import EVENT_HANDLERS
from smartpay_payment.testing.builders import NOW, requested
from smartpay_payment.testing.fakes import FakeUnitOfWork
from smartpay_shared.manifest import load_manifest, services_dir
from smartpay_shared.runtime.publisher import PublishError

PAYMENT = steps.start(requested(), NOW).after


class Script:
    """`decide` raising the scripted exceptions in turn, then returning the version it decided on."""

    def __init__(self, *outcomes):
        self.outcomes, self.seen, self.reads = list(outcomes), [], 0

    def read(self):
        self.reads += 1
        return PAYMENT.model_copy(update={"version": 100 + self.reads})

    def decide(self, payment):
        self.seen.append(payment.version)
        if self.outcomes:
            raise self.outcomes.pop(0)
        return payment.version


def test_a_conflict_is_decided_again_on_a_fresh_read():
    script = Script(ConcurrencyConflict("x"), ConcurrencyConflict("x"))
    assert on_conflict(script.read, script.decide) == 103 and script.seen == [101, 102, 103]


def test_conflicts_are_bounded():
    script = Script(*[ConcurrencyConflict("x")] * 10)
    with pytest.raises(ConcurrencyConflict, match="too many concurrent writers"):
        on_conflict(script.read, script.decide)
    assert len(script.seen) == MAX_CONFLICT_RETRIES


def test_a_remembered_copy_that_looks_stale_or_early_is_decided_again_on_a_fresh_read():
    for outcome in (m.Stale("old copy"), m.NotYet("old copy")):
        script = Script(outcome)
        assert on_conflict(script.read, script.decide, start=PAYMENT) == 101
        assert script.seen == [PAYMENT.version, 101]


def test_stale_on_a_fresh_read_goes_up_at_once():
    script = Script(m.Stale("duplicate"))
    with pytest.raises(m.Stale):
        on_conflict(script.read, script.decide)
    assert script.seen == [101]


def test_not_yet_on_a_fresh_read_is_read_again_after_each_short_wait_then_goes_up():
    slept = []
    script = Script(*[m.NotYet("early")] * 5)
    with pytest.raises(m.NotYet):
        on_conflict(script.read, script.decide, not_yet_waits=(0.02, 0.05), sleep=slept.append)
    assert slept == [0.02, 0.05] and script.seen == [101, 102, 103]
    nothing_yet = Script()
    nothing_yet.read = lambda: (_ for _ in ()).throw(m.NotYet("not recorded"))
    with pytest.raises(m.NotYet):
        on_conflict(nothing_yet.read, nothing_yet.decide, not_yet_waits=(0.01,), sleep=slept.append)


def failing(error, calls):
    def call():
        calls.append(1)
        if len(calls) <= error[1]:
            raise error[0]
        return "ok"
    return call


def test_a_transient_gateway_error_is_tried_again_after_each_wait_a_final_one_is_not():
    transient = GatewayError("gateway_5xx", "503", retriable=True)
    slept, calls = [], []
    assert with_backoff(failing((transient, 2), calls), waits=(0.1, 0.2), sleep=slept.append) == "ok"
    assert slept == [0.1, 0.2] and len(calls) == 3
    calls.clear()
    with pytest.raises(GatewayError, match="503"):  # still failing after the last wait: it goes up
        with_backoff(failing((transient, 5), calls), waits=(0.1,), sleep=slept.append)
    assert len(calls) == 2
    calls.clear()
    with pytest.raises(GatewayError, match="card_declined"):  # final: never repeated
        with_backoff(failing((GatewayError("card_declined", "no", retriable=False, declined=True), 5), calls),
                     sleep=slept.append)
    assert len(calls) == 1


def test_a_failed_publish_is_tried_again_briefly_and_the_outbox_kept_if_it_still_fails():
    uow, slept = FakeUnitOfWork(), []
    uow.sleep = slept.append
    uow.publish_failures = 1
    start = steps.start(requested(), NOW)
    uow.commit(start, new=True)
    assert uow.types(PAYMENT.payment_id) == ["payment.requested"] and slept == [0.05]
    assert uow.payments.get(PAYMENT.payment_id).outbox == {}
    uow.publish_failures = 10
    with pytest.raises(PublishError):
        uow.commit(steps.fraud_assessed(start.after, _declined(), NOW))
    assert len(uow.payments.get(PAYMENT.payment_id).outbox) == 2  # declined + completed, for the sweeper


def _declined():
    from smartpay_payment.testing.builders import fraud
    return fraud("decline", 0.99)


def test_one_event_map_drives_the_queue_consumer_and_equals_the_manifests_subscriptions():
    manifest = load_manifest(services_dir() / "payment")
    assert set(EVENT_HANDLERS) == {s.event_type for s in manifest.subscriptions}
    assert set(queue_consumer.consumer._handlers) == set(EVENT_HANDLERS)
