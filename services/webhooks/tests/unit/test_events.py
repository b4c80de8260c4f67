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
