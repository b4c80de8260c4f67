"""Publisher batching and retry logic with a fake events client (pure logic)."""

import pytest

from smartpay_shared.runtime.publisher import MAX_BYTES, EventPublisher, PublishError, entry_size, to_entry


class FakeEvents:
    def __init__(self, fail_plan=None):
        self.calls = []
        self.fail_plan = fail_plan or {}  # event id -> number of times to fail

    def put_events(self, Entries):
        self.calls.append(Entries)
        results = []
        for entry in Entries:
            import json
            event_id = json.loads(entry["Detail"])["metadata"]["event_id"]
            if self.fail_plan.get(event_id, 0) > 0:
                self.fail_plan[event_id] -= 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                results.append({"EventId": "x"})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def test_batches_hold_at_most_ten(envelope):
    fake = FakeEvents()
    EventPublisher(fake, "bus", sleep=lambda _: None).publish(*[envelope(f"pay_B{i:07d}") for i in range(23)])
    assert [len(c) for c in fake.calls] == [10, 10, 3]


def test_only_failed_entries_are_retried(envelope):
    envs = [envelope(f"pay_R{i:07d}") for i in range(5)]
    fake = FakeEvents({envs[2].metadata.event_id: 2})
    EventPublisher(fake, "bus", sleep=lambda _: None).publish(*envs)
    assert [len(c) for c in fake.calls] == [5, 1, 1]


def test_persistent_failure_names_the_event(envelope):
    env = envelope()
    fake = FakeEvents({env.metadata.event_id: 99})
    with pytest.raises(PublishError) as info:
        EventPublisher(fake, "bus", max_attempts=3, sleep=lambda _: None).publish(env)
    assert list(info.value.failed) == [env.metadata.event_id]
    assert len(fake.calls) == 3


def test_batches_respect_the_request_size(envelope, payment_requested):
    # Four ~80 KB events cannot share one 256 KB request.
    envs = [envelope(f"pay_S{i:07d}").model_copy(
        update={"data": payment_requested(f"pay_S{i:07d}", metadata={"blob": "z" * 80_000})}) for i in range(4)]
    fake = FakeEvents()
    EventPublisher(fake, "bus", sleep=lambda _: None).publish(*envs)
    assert all(sum(entry_size(e) for e in call) <= MAX_BYTES for call in fake.calls)
    assert [len(c) for c in fake.calls] == [3, 1]


def test_entry_carries_source_type_and_trace(envelope):
    entry = to_entry(envelope(trace_header="Root=1-abc;Sampled=1"), "bus")
    assert entry["Source"] == "smartpay.payment"
    assert entry["DetailType"] == "payment.requested"
    assert entry["TraceHeader"] == "Root=1-abc;Sampled=1"


def test_an_event_that_starts_a_flow_gets_a_new_trace_root(envelope):
    import json

    fake = FakeEvents()
    EventPublisher(fake, "bus", sleep=lambda _: None).publish(envelope(), envelope("pay_OTHER0001"))
    headers = [e["TraceHeader"] for e in fake.calls[0]]
    assert all(h.startswith("Root=1-") and h.endswith("Sampled=1") for h in headers)
    assert json.loads(fake.calls[0][0]["Detail"])["metadata"]["trace_header"] == headers[0]


def test_a_given_trace_header_is_kept_outside_a_segment(envelope):
    fake = FakeEvents()
    EventPublisher(fake, "bus", sleep=lambda _: None).publish(envelope(trace_header="Root=1-abc-def;Sampled=1"))
    assert fake.calls[0][0]["TraceHeader"] == "Root=1-abc-def;Sampled=1"
