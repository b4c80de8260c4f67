"""One list of forwarded event types: the manifest subscribes to exactly those, the consumer handles them."""

from smartpay_shared.manifest import load_manifest, services_dir

from smartpay_webhooks.domain.events import OUTCOME_EVENT_TYPES
from smartpay_webhooks.entrypoints import queue_consumer


def test_the_manifest_subscribes_to_the_outcome_event_types_only():
    manifest = load_manifest(services_dir() / "webhooks")
    assert sorted(s.event_type for s in manifest.subscriptions) == sorted(OUTCOME_EVENT_TYPES)
    assert manifest.emits == []


def test_the_consumer_handles_each_of_them():
    assert sorted(queue_consumer.consumer._handlers) == sorted(OUTCOME_EVENT_TYPES)


def test_minted_ids_sort_by_time_and_never_look_like_a_card_number():
    from datetime import UTC, datetime, timedelta

    from smartpay_shared import pan

    from smartpay_webhooks.domain.model import delivery_id, delivery_id_floor, new_endpoint_id

    start = datetime(2026, 12, 5, tzinfo=UTC)
    minted = [delivery_id(start + timedelta(milliseconds=7 * n), f"evt_{n}", "we_1") for n in range(3000)]
    assert minted == sorted(minted) and all(not pan.contains_pan(i, in_words=True) for i in minted)
    assert delivery_id(start, "evt_1", "we_1") == delivery_id(start, "evt_1", "we_1")
    assert delivery_id_floor(start) <= minted[0] < delivery_id_floor(start + timedelta(milliseconds=1))
    assert all(not pan.contains_pan(new_endpoint_id(), in_words=True) for _ in range(3000))
