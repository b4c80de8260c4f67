"""SQS consumer Lambda of the webhooks service: payment outcomes -> deliveries, each first attempted at once
on a bounded pool with a short timeout (service_layer/first_attempts.py; no second queue hop), the
retries through the delivery queue and the deliverer. The local worker calls it unchanged.

The invocation hands every record's first attempts to the pool and goes on with the next record, then
waits for them before it returns: a slow endpoint holds up its own first attempt only, for at most the
first-attempt timeout."""

import threading
from concurrent.futures import Future
from datetime import UTC, datetime
from functools import partial

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared.events import Envelope
from smartpay_shared.runtime.consumer import QueueConsumer

from smartpay_webhooks import bootstrap
from smartpay_webhooks.domain.events import OUTCOME_EVENT_TYPES
from smartpay_webhooks.service_layer.fanout import fan_out

logger = Logger(service="webhooks")
tracer = Tracer(service="webhooks")
_invocation = threading.local()  # this invocation's first attempts (the local worker runs several at once)


def _outcome(event_type: str, envelope: Envelope) -> None:
    webhooks = bootstrap.service()
    started: list[Future] = _invocation.__dict__.setdefault("attempts", [])

    def first_attempt(task, delivery, endpoint, stored) -> bool:
        future = webhooks.first_attempts.start(task, delivery, endpoint, stored)
        if future is not None:
            started.append(future)
        return future is not None

    dispatched = fan_out(event_type, envelope.metadata.event_id, envelope.metadata.occurred_at,
                         envelope.data.model_dump(mode="json"), endpoints=webhooks.endpoint_lists,
                         deliveries=webhooks.delivery_repo, queue=webhooks.queue, now=datetime.now(UTC),
                         first_attempt=first_attempt)
    logger.info("deliveries dispatched", extra={"dispatched": dispatched})


consumer = QueueConsumer({t: partial(_outcome, t) for t in OUTCOME_EVENT_TYPES}, logger=logger, tracer=tracer)


@logger.inject_lambda_context
def lambda_handler(event, context):
    _invocation.attempts = []
    try:
        result = consumer(event, context)
        if _invocation.attempts:
            # Raises if an attempt was neither made nor queued: the batch comes back (see first_attempts).
            outcomes = bootstrap.service().first_attempts.settle(_invocation.attempts)
            logger.info("first attempts", extra={"outcomes": outcomes})
        return result
    finally:
        _invocation.attempts = []
