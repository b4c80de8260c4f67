"""The endpoints API's use cases, always for one merchant (the verified caller's): another merchant's
endpoint is not found. A new or rotated secret is returned once and stored only encrypted."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from smartpay_webhooks.domain import events
from smartpay_webhooks.domain.errors import EndpointNotFound, InvalidEndpoint, TooManyEndpoints
from smartpay_webhooks.domain.model import (
    Delivery,
    Endpoint,
    EndpointSecret,
    EndpointStatus,
    delivery_id,
    new_endpoint_id,
    unknown_event_types,
)
from smartpay_webhooks.domain.signing import generate_secret
from smartpay_webhooks.domain.url_safety import UnsafeUrl
from smartpay_webhooks.service_layer.ports import (
    Clock,
    DeliveryQueue,
    DeliveryRepository,
    DeliveryTask,
    EndpointRepository,
    SecretBox,
)

UrlCheck = Callable[[str], object]  # raises UnsafeUrl


def secret_context(merchant_id: str, endpoint_id: str) -> dict[str, str]:
    return {"merchant_id": merchant_id, "endpoint_id": endpoint_id, "purpose": "webhook-signing"}


@dataclass
class Endpoints:
    repo: EndpointRepository
    deliveries: DeliveryRepository
    box: SecretBox
    queue: DeliveryQueue
    check_url: UrlCheck
    clock: Clock
    secret_grace: timedelta
    max_endpoints: int

    def create(self, merchant_id: str, url: str, event_types: list[str], description: str) -> tuple[Endpoint, str]:
        self._validate(url, event_types)
        if len(self.repo.list(merchant_id)) >= self.max_endpoints:
            raise TooManyEndpoints(f"a merchant may have {self.max_endpoints} webhook endpoints")
        now = self.clock.now()
        endpoint_id = new_endpoint_id()
        secret = generate_secret()
        sealed = EndpointSecret(self.box.seal(secret, secret_context(merchant_id, endpoint_id)), now)
        endpoint = Endpoint(merchant_id, endpoint_id, url, tuple(dict.fromkeys(event_types)), description,
                            EndpointStatus.ENABLED, (sealed,), now, now)
        self.repo.add(endpoint)
        return endpoint, secret

    def list(self, merchant_id: str) -> list[Endpoint]:
        return sorted(self.repo.list(merchant_id), key=lambda e: e.created_at)

    def get(self, merchant_id: str, endpoint_id: str) -> Endpoint:
        endpoint = self.repo.get(merchant_id, endpoint_id)
        if endpoint is None:
            raise EndpointNotFound(endpoint_id)
        return endpoint

    def update(self, merchant_id: str, endpoint_id: str, *, url: str | None = None,
               event_types: list[str] | None = None, description: str | None = None,
               enabled: bool | None = None) -> Endpoint:
        endpoint = self.get(merchant_id, endpoint_id)
        self._validate(url, event_types)
        changes: dict = {"updated_at": self.clock.now()}
        if url is not None:
            changes["url"] = url
        if event_types is not None:
            changes["event_types"] = tuple(dict.fromkeys(event_types))
        if description is not None:
            changes["description"] = description
        if enabled is not None:
            changes["status"] = EndpointStatus.ENABLED if enabled else EndpointStatus.DISABLED
        updated = replace(endpoint, **changes)
        self.repo.save(updated)
        return updated

    def disable(self, merchant_id: str, endpoint_id: str) -> Endpoint:
        return self.update(merchant_id, endpoint_id, enabled=False)

    def delete(self, merchant_id: str, endpoint_id: str) -> None:
        if not self.repo.delete(merchant_id, endpoint_id):
            raise EndpointNotFound(endpoint_id)

    def rotate_secret(self, merchant_id: str, endpoint_id: str) -> tuple[Endpoint, str]:
        endpoint = self.get(merchant_id, endpoint_id)
        now = self.clock.now()
        secret = generate_secret()
        sealed = EndpointSecret(self.box.seal(secret, secret_context(merchant_id, endpoint_id)), now)
        rotated = endpoint.rotated(sealed, now, self.secret_grace)
        self.repo.save(rotated)
        return rotated, secret

    def send_test(self, merchant_id: str, endpoint_id: str) -> Delivery:
        endpoint = self.get(merchant_id, endpoint_id)
        now = self.clock.now()
        event_id = "evt_test_" + uuid.uuid4().hex
        body = events.message_body(events.TEST_EVENT_TYPE, now,
                                   {"merchant_id": merchant_id, "endpoint_id": endpoint_id})
        delivery = Delivery(endpoint.endpoint_id, delivery_id(now, event_id, endpoint_id), merchant_id, event_id,
                            events.TEST_EVENT_TYPE, body, now, next_attempt_at=now)
        self.deliveries.create(delivery)
        self.queue.enqueue(DeliveryTask(merchant_id, endpoint_id, delivery.delivery_id, 0, now), 0)
        return delivery

    def _validate(self, url: str | None, event_types: list[str] | None) -> None:
        if event_types is not None:
            if not event_types:
                raise InvalidEndpoint("event_types", "subscribe to at least one event type")
            unknown = unknown_event_types(tuple(event_types))
            if unknown:
                raise InvalidEndpoint("event_types", f"unknown event types {unknown}; known: "
                                                     f"{list(events.OUTCOME_EVENT_TYPES)}")
        if url is not None:
            try:
                self.check_url(url)
            except UnsafeUrl as exc:
                raise InvalidEndpoint("url", str(exc)) from exc
