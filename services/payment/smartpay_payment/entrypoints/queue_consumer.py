"""SQS consumer Lambda of the payment service (the local worker calls it unchanged)."""

from aws_lambda_powertools import Logger, Tracer

from smartpay_payment import bootstrap
from smartpay_payment.service_layer.saga import EVENT_HANDLERS
from smartpay_shared.events import Envelope
from smartpay_shared.runtime.consumer import QueueConsumer

logger = Logger(service="payment")
tracer = Tracer(service="payment")


def _saga_step(envelope: Envelope) -> None:
    bootstrap.service().saga.handle(envelope)


consumer = QueueConsumer({event_type: _saga_step for event_type in EVENT_HANDLERS}, logger=logger, tracer=tracer)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
