"""Payments table and idempotency records on a real moto server: conditional writes, merchant
scoping, the outbox, key claims and body mismatches, sweep candidates."""

from datetime import timedelta

import pytest

from smartpay_payment.adapters.idempotency import IdempotencyMismatch, body_hash
from smartpay_payment.adapters.repository import ConcurrencyConflict
from smartpay_payment.domain import model as m, steps
from smartpay_payment.testing.builders import fraud, requested

pytestmark = pytest.mark.integration


def test_conditional_writes_on_the_version(service, clock):
    store = service.saga.store
    payment = service.saga.start(requested(payment_id="pay_repo00000001"))
    with pytest.raises(ConcurrencyConflict):  # a second create of the same id
        store.repo.save(payment, [], expected_version=None)
    checked = steps.fraud_assessed(payment, fraud(), clock())
    store.commit(checked)
    with pytest.raises(ConcurrencyConflict):  # a writer that read version 1 loses
        store.commit(checked)
    assert store.repo.get("pay_repo00000001").payment.state == m.State.FRAUD_CHECKED


def test_another_merchants_payment_does_not_exist(service):
    service.saga.start(requested(payment_id="pay_repo00000002"))
    assert service.saga.store.repo.get("pay_repo00000002", "m_acme") is not None
    assert service.saga.store.repo.get("pay_repo00000002", "m_other") is None


def test_outbox_keeps_unpublished_events_until_the_sweep(service, clock, monkeypatch, listener):
    store = service.saga.store
    real = store.publisher.publish
    monkeypatch.setattr(store.publisher, "publish", _broken)
    with pytest.raises(Exception, match="bus down"):
        service.saga.start(requested(payment_id="pay_repo00000003"))
    stored = store.repo.get("pay_repo00000003")
    assert [e.event_type for e in stored.outbox.values()] == ["payment.requested"]
    monkeypatch.setattr(store.publisher, "publish", real)
    from smartpay_payment.service_layer.sweeper import sweep
    report = sweep(service.saga, outbox_grace=timedelta(0), now=clock() + timedelta(seconds=1))
    assert report.republished == 1
    assert store.repo.get("pay_repo00000003").outbox == {}
    seen = listener.wait_for(lambda evs: any(e["detail-type"] == "payment.requested" for e in evs))
    assert seen[0]["detail"]["data"]["payment_id"] == "pay_repo00000003"


def _broken(*envelopes):
    from smartpay_shared.runtime.publisher import PublishError
    raise PublishError("bus down", {e.metadata.event_id: "down" for e in envelopes})


def test_idempotency_claims(service):
    store = service.idempotency
    digest = body_hash({"amount": 1})
    first = store.claim("m_acme", "k1", digest, "pay_a0000001")
    assert first.response is None and first.payment_id == "pay_a0000001"
    again = store.claim("m_acme", "k1", digest, "pay_b0000002")
    assert again.payment_id == "pay_a0000001"  # the first claim wins
    with pytest.raises(IdempotencyMismatch):
        store.claim("m_acme", "k1", body_hash({"amount": 2}), "pay_c0000003")
    other = store.claim("m_other", "k1", body_hash({"amount": 2}), "pay_d0000004")
    assert other.payment_id == "pay_d0000004"  # keys are per merchant
    store.complete("m_acme", "k1", {"status_code": 202, "body": {"payment_id": "pay_a0000001"}})
    assert store.claim("m_acme", "k1", digest, "x").response["body"]["payment_id"] == "pay_a0000001"


def test_sweep_candidates_are_the_stuck_ones(service, clock):
    service.saga.start(requested(payment_id="pay_repo00000005"))
    repo = service.saga.store.repo
    assert repo.sweep_candidates(clock(), clock() - timedelta(seconds=5)) == []
    late = clock() + timedelta(seconds=61)
    assert [s.payment.payment_id for s in repo.sweep_candidates(late, clock() - timedelta(seconds=5))] == [
        "pay_repo00000005"]


def test_a_handler_resends_another_writers_outbox_only_once_it_is_old(service, clock, monkeypatch):
    """A young outbox is most likely being published by its writer right now (the API between its write
    and its clear): re-sending it from the next handler duplicated every such event."""
    saga, store = service.saga, service.saga.store
    saga.outbox_grace = timedelta(seconds=10)
    real = store.publisher.publish
    monkeypatch.setattr(store.publisher, "publish", _broken)
    with pytest.raises(Exception, match="bus down"):
        saga.start(requested(payment_id="pay_repo00000004"))
    resent = []
    monkeypatch.setattr(store.publisher, "publish", lambda *envelopes: resent.extend(envelopes) or real(*envelopes))
    saga.load("pay_repo00000004", "m_acme")
    assert resent == [] and store.repo.get("pay_repo00000004").outbox  # young: left to its writer
    clock.now += timedelta(seconds=11)
    saga.load("pay_repo00000004", "m_acme")
    assert [e.event_type for e in resent] == ["payment.requested"]
    assert store.repo.get("pay_repo00000004").outbox == {}
