"""SQS consumer Lambda of the routing service (the local worker calls it unchanged)."""

from functools import cache, partial
from importlib.metadata import version

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.events import Envelope, Producer
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.publisher import EventPublisher

from smartpay_routing import bootstrap
from smartpay_routing.config import routing_settings
from smartpay_routing.service_layer import handlers

logger = Logger(service="routing")
tracer = Tracer(service="routing")
PRODUCER = Producer(service="routing", version=version("smartpay-routing"))


@cache
def service():
    return bootstrap.build(routing_settings(), s3=aws.client("s3"))


@cache
def publisher() -> EventPublisher:
    return EventPublisher(aws.client("events"), platform_settings().event_bus)


def _publish(envelope: Envelope) -> None:
    publisher().publish(envelope)


def _route(handler, envelope: Envelope) -> None:
    handler(envelope, service(), _publish, PRODUCER)


def _outcome(handler, envelope: Envelope) -> None:
    logger.info("outcome", extra={"result": handler(envelope, service())})


consumer = QueueConsumer(
    {
        "fraud.assessed": partial(_route, handlers.on_fraud_assessed),
        "route.requested": partial(_route, handlers.on_route_requested),
        "payment.captured": partial(_outcome, handlers.on_payment_captured),
        "payment.failed": partial(_outcome, handlers.on_payment_failed),
    },
    logger=logger,
    tracer=tracer,
)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
