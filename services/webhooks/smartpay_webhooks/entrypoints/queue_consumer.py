"""SQS consumer Lambda of the webhooks service: payment outcomes -> deliveries on the delivery queue
(the local worker calls it unchanged). It sends no HTTP: the deliverer does."""

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


def _outcome(event_type: str, envelope: Envelope) -> None:
    webhooks = bootstrap.service()
    queued = fan_out(event_type, envelope.metadata.event_id, envelope.metadata.occurred_at,
                     envelope.data.model_dump(mode="json"), endpoints=webhooks.endpoint_repo,
                     deliveries=webhooks.delivery_repo, queue=webhooks.queue, now=datetime.now(UTC))
    logger.info("deliveries queued", extra={"queued": queued})


consumer = QueueConsumer({t: partial(_outcome, t) for t in OUTCOME_EVENT_TYPES}, logger=logger, tracer=tracer)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
