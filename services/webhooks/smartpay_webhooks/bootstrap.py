"""Wire the adapters once per cold start. Tests call `build` with their own settings and clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from smartpay_shared import aws

from smartpay_webhooks.adapters.dynamodb import DynamoDeliveries, DynamoEndpoints
from smartpay_webhooks.adapters.http_sender import HttpSender
from smartpay_webhooks.adapters.kms_secrets import KmsSecretBox
from smartpay_webhooks.adapters.redis_gate import RedisEndpointGate
from smartpay_webhooks.adapters.sqs_queue import SqsDeliveryQueue
from smartpay_webhooks.config import WebhooksSettings, webhooks_settings
from smartpay_webhooks.service_layer.delivery import Deliverer
from smartpay_webhooks.service_layer.endpoint_cache import CachedEndpointLists
from smartpay_webhooks.service_layer.endpoints import Endpoints
from smartpay_webhooks.service_layer.first_attempts import FirstAttempts
from smartpay_webhooks.service_layer.replay import Replay


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Webhooks:
    endpoints: Endpoints
    replay: Replay
    deliverer: Deliverer
    first_attempts: FirstAttempts
    endpoint_repo: DynamoEndpoints
    endpoint_lists: CachedEndpointLists  # the event consumer's (a few seconds old at most)
    delivery_repo: DynamoDeliveries
    queue: SqsDeliveryQueue
    clock: SystemClock


def build(settings: WebhooksSettings, *, dynamodb: Any, kms: Any, sqs: Any) -> Webhooks:
    endpoint_repo = DynamoEndpoints(dynamodb, settings.endpoints_table)
    delivery_repo = DynamoDeliveries(dynamodb, settings.deliveries_table)
    box = KmsSecretBox(kms, settings.kms_key_id)
    queue = SqsDeliveryQueue(sqs, settings.delivery_queue)
    sender = HttpSender(settings.url_policy(), settings.request_timeout_seconds)
    clock = SystemClock()
    gate = RedisEndpointGate.from_url(settings.redis_url, settings.caps())
    deliverer = Deliverer(endpoint_repo, delivery_repo, box, queue, sender, clock, settings.retry_schedule(),
                          gate=gate)
    return Webhooks(
        endpoints=Endpoints(endpoint_repo, delivery_repo, box, queue, sender.check, clock,
                            timedelta(seconds=settings.secret_grace_seconds), settings.max_endpoints_per_merchant),
        replay=Replay(endpoint_repo, delivery_repo, queue, clock, settings.max_resend),
        deliverer=deliverer,
        first_attempts=FirstAttempts(deliverer, queue, width=settings.first_attempt_width,
                                     timeout_seconds=settings.first_attempt_timeout_seconds),
        endpoint_repo=endpoint_repo,
        endpoint_lists=CachedEndpointLists(endpoint_repo, settings.endpoints_cache_seconds),
        delivery_repo=delivery_repo, queue=queue, clock=clock)


@cache
def service() -> Webhooks:
    return build(webhooks_settings(), dynamodb=aws.client("dynamodb"), kms=aws.client("kms"), sqs=aws.client("sqs"))
