"""The use cases over in-memory fakes: endpoints, fan-out, the consumer's first attempt, delivery with retries
and the per-endpoint caps, resend."""

import json
import random
import threading
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from smartpay_webhooks.adapters.memory import (
    CountingGate,
    ListQueue,
    ManualClock,
    MemoryDeliveries,
    MemoryEndpoints,
    ReversibleBox,
    ScriptedSender,
)
from smartpay_webhooks.domain import signing
from smartpay_webhooks.domain.backoff import RetrySchedule
from smartpay_webhooks.domain.caps import Admission, EndpointCaps, deferral_seconds
from smartpay_webhooks.domain.errors import EndpointNotFound, InvalidEndpoint, TooManyEndpoints
from smartpay_webhooks.domain.model import DeliveryStatus, EndpointStatus
from smartpay_webhooks.domain.url_safety import UrlPolicy, check
from smartpay_webhooks.service_layer.delivery import Deliverer
from smartpay_webhooks.service_layer.endpoints import Endpoints
from smartpay_webhooks.service_layer.fanout import fan_out
from smartpay_webhooks.service_layer.first_attempts import QUEUED, FirstAttempts
from smartpay_webhooks.service_layer.replay import Replay

URL = "https://hooks.example.com/in"
OCCURRED = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


class World:
    def __init__(self, answers=(), caps=None, width=4):
        self.clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
        self.repo, self.deliveries, self.box, self.queue = MemoryEndpoints(), MemoryDeliveries(), ReversibleBox(), ListQueue()
        self.sender = ScriptedSender(list(answers))
        resolve = lambda host, port: ["93.184.215.14"]  # noqa: E731
        self.endpoints = Endpoints(self.repo, self.deliveries, self.box, self.queue,
                                   lambda url: check(url, UrlPolicy(), resolve), self.clock, timedelta(hours=24), 3)
        self.gate = CountingGate(caps) if caps else None
        self.deliverer = Deliverer(self.repo, self.deliveries, self.box, self.queue, self.sender, self.clock,
                                   RetrySchedule(max_attempts=4), random.Random(1), self.gate)
        self.replay = Replay(self.repo, self.deliveries, self.queue, self.clock, 100)
        self.first = FirstAttempts(self.deliverer, self.queue, width=width, timeout_seconds=1.0)

    def outcome(self, merchant="m_1", event_type="payment.captured", event_id="evt_1"):
        data = {"payment_id": "pay_abcdefgh1", "merchant_id": merchant, "amount": 500}
        return fan_out(event_type, event_id, OCCURRED, data, endpoints=self.repo, deliveries=self.deliveries,
                       queue=self.queue, now=self.clock.now())

    def consumed(self, event_id="evt_1"):
        """An outcome as the event consumer handles it: (deliveries dispatched, first attempts' outcomes)."""
        data = {"payment_id": "pay_abcdefgh1", "merchant_id": "m_1", "amount": 500}
        started: list[Future] = []

        def first_attempt(task, delivery, endpoint, stored) -> bool:
            future = self.first.start(task, delivery, endpoint, stored)
            if future is not None:
                started.append(future)
            return future is not None

        count = fan_out("payment.captured", event_id, OCCURRED, data, endpoints=self.repo,
                        deliveries=self.deliveries, queue=self.queue, now=self.clock.now(),
                        first_attempt=first_attempt)
        return count, FirstAttempts.settle(started)

    def run_next(self):
        task = self.queue.pop()
        self.clock.at = max(self.clock.at, task.not_before)
        return self.deliverer.handle(task)


def test_create_returns_the_secret_once_and_stores_only_ciphertext():
    w = World()
    endpoint, secret = w.endpoints.create("m_1", URL, ["payment.captured"], "shop")
    assert secret.startswith("whsec_")
    stored = w.repo.get("m_1", endpoint.endpoint_id)
    assert secret not in json.dumps([s.ciphertext for s in stored.secrets])
    assert w.endpoints.get("m_1", endpoint.endpoint_id) == stored


def test_another_merchants_endpoint_is_not_found():
    w = World()
    endpoint, _ = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    for call in (w.endpoints.get, w.endpoints.disable, w.endpoints.delete, w.endpoints.rotate_secret,
                 w.endpoints.send_test, w.replay.list):
        with pytest.raises(EndpointNotFound):
            call("m_2", endpoint.endpoint_id)
    assert w.endpoints.list("m_2") == []


def test_bad_urls_and_event_types_are_refused_before_anything_is_written():
    w = World()
    with pytest.raises(InvalidEndpoint) as refused:
        w.endpoints.create("m_1", "http://hooks.example.com/", ["payment.captured"], "")
    assert refused.value.field == "url"
    with pytest.raises(InvalidEndpoint) as refused:
        w.endpoints.create("m_1", URL, ["payment.requested"], "")
    assert refused.value.field == "event_types"
    assert w.repo.items == {}


def test_the_endpoint_limit_holds():
    w = World()
    for _ in range(3):
        w.endpoints.create("m_1", URL, ["payment.captured"], "")
    with pytest.raises(TooManyEndpoints):
        w.endpoints.create("m_1", URL, ["payment.captured"], "")


def test_an_outcome_reaches_subscribed_enabled_endpoints_of_its_merchant_only():
    w = World()
    captured, _ = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.endpoints.create("m_1", URL, ["payment.refunded"], "")
    disabled, _ = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.endpoints.disable("m_1", disabled.endpoint_id)
    w.endpoints.create("m_2", URL, ["payment.captured"], "")
    assert w.outcome() == 1
    assert w.queue.tasks[0][0].endpoint_id == captured.endpoint_id
    assert w.outcome() == 1  # the same event again: the delivery exists, never attempted, queued again
    assert len(w.deliveries.items) == 1


def test_a_delivery_is_signed_for_the_merchant_and_succeeds():
    w = World()
    endpoint, secret = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.outcome()
    assert w.run_next() == "succeeded"
    url, headers, body = w.sender.sent[0]
    assert url == URL and headers["webhook-id"] == "evt_1"
    assert Webhook(secret).verify(body, headers)["data"]["payment_id"] == "pay_abcdefgh1"
    (delivery,) = w.deliveries.items.values()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts[0].status_code == 200


def test_failures_retry_with_backoff_then_the_delivery_is_kept_and_the_endpoint_failing():
    w = World(answers=[500, None, 503, 500])
    endpoint, _ = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.outcome()
    outcomes, delays = [], []
    while w.queue.tasks:
        delays.append(w.queue.tasks[0][1])
        outcomes.append(w.run_next())
    assert outcomes == ["retrying", "retrying", "retrying", "failed"]
    assert delays[0] == 0 and 5 <= delays[1] <= 6.25 and 20 <= delays[2] <= 25 and 80 <= delays[3] <= 100
    (delivery,) = w.deliveries.items.values()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempt_count == 4
    assert delivery.attempts[1].error == "timeout after 5 s"
    assert len(delivery.attempts[0].response_body) == 512  # truncated
    assert w.repo.get("m_1", endpoint.endpoint_id).status == EndpointStatus.FAILING
    assert {h["webhook-id"] for _, h, _ in w.sender.sent} == {"evt_1"}  # the same id on every attempt

    # A resend starts a fresh cycle; its success puts the endpoint back to enabled.
    w.replay.resend("m_1", endpoint.endpoint_id, delivery.delivery_id)
    assert w.run_next() == "succeeded"
    assert w.repo.get("m_1", endpoint.endpoint_id).status == EndpointStatus.ENABLED


def test_delays_beyond_the_queue_maximum_are_re_enqueued_until_due():
    w = World(answers=[500] * 8)
    w.deliverer.schedule = RetrySchedule(base_seconds=2000, cap_seconds=4000, max_attempts=3)
    w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.outcome()
    assert w.run_next() == "retrying"
    task, delay = w.queue.tasks[0]
    assert delay == 900
    w.queue.pop()
    w.clock.advance(900)
    assert w.deliverer.handle(task) == "deferred"
    remaining = (task.not_before - w.clock.now()).total_seconds()
    assert remaining > 900 and w.queue.tasks[-1][1] == 900
    w.clock.advance(remaining - 100)
    assert w.deliverer.handle(task) == "deferred"
    assert w.queue.tasks[-1][1] == pytest.approx(100)
    w.clock.advance(100)
    assert w.deliverer.handle(task) == "retrying" and len(w.sender.sent) == 2


def test_a_stale_task_is_dropped():
    w = World()
    w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.outcome()
    w.outcome()  # two tasks for the one delivery
    assert [w.run_next(), w.run_next()] == ["succeeded", "stale"]
    assert len(w.sender.sent) == 1


def test_rotation_signs_with_both_secrets_during_the_grace_period_only():
    w = World(answers=[200, 200])
    endpoint, old = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    _, new = w.endpoints.rotate_secret("m_1", endpoint.endpoint_id)
    w.outcome(event_id="evt_a")
    w.run_next()
    _, headers, body = w.sender.sent[-1]
    assert Webhook(old).verify(body, headers) == Webhook(new).verify(body, headers)
    w.clock.advance(24 * 3600 + 1)
    w.outcome(event_id="evt_b")
    w.run_next()
    _, headers, body = w.sender.sent[-1]
    # (the manual clock is a day ahead: the reference library would refuse the timestamp, so compare directly)
    assert headers["webhook-signature"] == signing.signature(new, "evt_b", int(headers["webhook-timestamp"]), body)


def test_disabled_and_deleted_endpoints_get_nothing_and_the_delivery_is_kept():
    w = World()
    endpoint, _ = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.outcome()
    w.endpoints.disable("m_1", endpoint.endpoint_id)
    assert w.run_next() == "failed" and w.sender.sent == []
    (delivery,) = w.deliveries.items.values()
    assert delivery.attempts[0].error == "endpoint disabled: not sent"


def test_resend_since_takes_the_deliveries_created_from_then():
    w = World(answers=[200] * 10)
    endpoint, _ = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    for n in range(3):
        fan_out("payment.captured", f"evt_{n}", OCCURRED + timedelta(minutes=n),
                {"payment_id": "pay_abcdefgh1", "merchant_id": "m_1"}, endpoints=w.repo,
                deliveries=w.deliveries, queue=w.queue, now=OCCURRED + timedelta(minutes=n))
    while w.queue.tasks:
        w.run_next()
    resent = w.replay.resend_since("m_1", endpoint.endpoint_id, OCCURRED + timedelta(minutes=1))
    assert [d.event_id for d in resent] == ["evt_1", "evt_2"]
    assert len(w.queue.tasks) == 2


# --- the consumer's first attempt and the per-endpoint caps --------------------------------------------
class BrokenBox(ReversibleBox):
    def open(self, ciphertext, context):
        raise ConnectionError("kms unreachable")


class BrokenQueue(ListQueue):
    def enqueue(self, task, delay_seconds):
        raise ConnectionError("sqs unreachable")


def test_the_consumer_attempts_at_once_with_the_short_timeout_and_queues_only_the_retry():
    w = World(answers=[200, 500])
    w.endpoints.create("m_1", URL, ["payment.captured"], "")
    assert w.consumed("evt_1") == (1, {"succeeded": 1})
    assert w.sender.timeouts == [1.0] and w.queue.tasks == []  # no queue hop for the first attempt
    assert w.consumed("evt_2") == (1, {"retrying": 1})
    ((task, delay),) = w.queue.tasks
    assert task.attempt == 1 and 5 <= delay <= 6.25  # the schedule's first retry, by the deliverer
    statuses = sorted(d.status for d in w.deliveries.items.values())
    assert statuses == [DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED]


def test_the_first_attempt_is_under_way_before_the_delivery_is_written_and_recorded_after():
    w = World()
    w.endpoints.create("m_1", URL, ["payment.captured"], "")
    sending, send, create = threading.Event(), w.sender.send, w.deliveries.create

    def send_flagged(*args, **kwargs):
        sending.set()
        return send(*args, **kwargs)

    def create_once_sending(delivery):
        assert sending.wait(5), "the delivery was written before the attempt started"
        return create(delivery)

    w.sender.send, w.deliveries.create = send_flagged, create_once_sending
    assert w.consumed() == (1, {"succeeded": 1})
    (delivery,) = w.deliveries.items.values()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempt_count == 1  # recorded after the write


def test_a_full_pool_or_a_failing_endpoint_goes_through_the_delivery_queue():
    w = World(width=0)
    w.endpoints.create("m_1", URL, ["payment.captured"], "")
    assert w.consumed() == (1, {})  # no slot: queued once written
    assert w.sender.sent == [] and w.queue.tasks[0][0].attempt == 0 and w.queue.tasks[0][1] == 0

    w = World()
    endpoint, _ = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.repo.save(replace(endpoint, status=EndpointStatus.FAILING))
    assert w.consumed() == (1, {})  # not attempted by the consumer: a failing endpoint holds up nobody
    assert w.sender.sent == [] and len(w.queue.tasks) == 1


def test_an_attempt_that_raises_is_handed_to_the_delivery_queue_and_a_dead_queue_fails_the_batch():
    w = World()
    w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.deliverer.box = BrokenBox()
    assert w.consumed() == (1, {QUEUED: 1})
    (delivery,) = w.deliveries.items.values()
    assert delivery.attempt_count == 0 and w.queue.tasks[0][0].delivery_id == delivery.delivery_id

    w.first.queue = BrokenQueue()
    with pytest.raises(ConnectionError):
        w.consumed("evt_2")


def test_the_redelivered_event_dispatches_an_unattempted_delivery_again_only():
    w = World(answers=[200])
    w.endpoints.create("m_1", URL, ["payment.captured"], "")
    w.deliverer.box = BrokenBox()
    w.first.queue = BrokenQueue()
    with pytest.raises(ConnectionError):
        w.consumed()  # neither attempted nor queued: the batch fails, the event comes back
    w.deliverer.box, w.first.queue = ReversibleBox(), w.queue
    assert w.consumed() == (1, {"succeeded": 1})
    # Attempted now: a third delivery of the event queues nothing and records nothing; its first attempt,
    # started while the delivery was being written, is a duplicate the merchant drops.
    assert w.consumed() == (0, {"duplicate": 1})
    (delivery,) = w.deliveries.items.values()
    assert delivery.attempt_count == 1 and len(w.sender.sent) == 2 and w.queue.tasks == []


def test_an_attempt_over_the_concurrency_cap_waits_on_the_queue_uncounted():
    w = World(caps=EndpointCaps(max_concurrency=1, rate_per_second=100, burst=100))
    endpoint, _ = w.endpoints.create("m_1", URL, ["payment.captured"], "")
    held = w.gate.admit(endpoint.endpoint_id)  # another instance's attempt in flight
    assert w.consumed() == (1, {"throttled": 1})
    ((task, delay),) = w.queue.tasks
    assert task.attempt == 0 and 1.0 <= delay <= 1.5 and task.not_before > w.clock.now()
    assert w.sender.sent == [] and next(iter(w.deliveries.items.values())).attempt_count == 0

    w.gate.release(endpoint.endpoint_id, held.token)
    w.queue.pop()
    w.clock.advance(delay)
    assert w.deliverer.handle(task) == "succeeded"
    assert w.gate.in_flight[endpoint.endpoint_id] == set()  # the slot is given back after the attempt


def test_an_attempt_over_the_rate_cap_comes_back_when_a_token_is_due():
    w = World(caps=EndpointCaps(max_concurrency=10, rate_per_second=0.25, burst=2))
    w.endpoints.create("m_1", URL, ["payment.captured"], "")
    outcomes = [w.consumed(f"evt_{n}")[1] for n in range(3)]
    assert outcomes == [{"succeeded": 1}, {"succeeded": 1}, {"throttled": 1}]  # the burst of 2, then the rate
    assert len(w.sender.sent) == 2
    ((task, delay),) = w.queue.tasks
    assert 4.0 <= delay <= 6.0  # one token at 0.25/s: 4 s, plus up to 50 % spread


def test_the_deferral_is_at_least_the_queue_granularity_and_spread():
    rng = random.Random(3)
    waits = [deferral_seconds(Admission(None, "concurrency"), rng) for _ in range(50)]
    assert min(waits) >= 1.0 and max(waits) <= 1.5 and len(set(waits)) > 40
    assert 2.0 <= deferral_seconds(Admission(None, "rate", 2.0), rng) <= 3.0


def test_caps_refuse_nonsense():
    with pytest.raises(ValueError):
        EndpointCaps(max_concurrency=0)
    with pytest.raises(ValueError):
        EndpointCaps(rate_per_second=0)
