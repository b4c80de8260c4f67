"""SQS consumer Lambda of the chat service (the local worker calls it unchanged): the payment indexer."""

from functools import cache, partial
from importlib.metadata import version

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.events import Envelope, Producer
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.publisher import EventPublisher

from smartpay_chat import bootstrap
from smartpay_chat.config import chat_settings
from smartpay_chat.domain.document import REQUESTED_VERSION
from smartpay_chat.service_layer import handlers

logger = Logger(service="chat")
tracer = Tracer(service="chat")
PRODUCER = Producer(service="chat", version=version("smartpay-chat"))


@cache
def index():
    return bootstrap.build_index(chat_settings())


@cache
def publisher() -> EventPublisher:
    return EventPublisher(aws.client("events"), platform_settings().event_bus)


def _publish(envelope: Envelope) -> None:
    publisher().publish(envelope)


def _handle(handler, envelope: Envelope) -> None:
    result = handler(envelope, index(), _publish, PRODUCER)
    snapshot = getattr(envelope.data, "payment", None)
    logger.info("payment indexed" if result.outcome != "stale" else "stale version ignored",
                extra={"outcome": result.outcome, "index": result.index, "stored_version": result.stored_version,
                       "event_type": envelope.event_type,
                       "event_version": snapshot.version if snapshot else REQUESTED_VERSION})


consumer = QueueConsumer(
    {
        "payment.requested": partial(_handle, handlers.on_payment_requested),
        "payment.completed": partial(_handle, handlers.on_payment_completed),
        "payment.refunded": partial(_handle, handlers.on_payment_refunded),
    },
    logger=logger,
    tracer=tracer,
)


@logger.inject_lambda_context
def lambda_handler(event, context):
    with index().batch():  # embedded: the file stays open across batches; one checkpoint + publish each
        return consumer(event, context)
