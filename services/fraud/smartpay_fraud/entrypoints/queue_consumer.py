"""SQS consumer Lambda of the fraud service (the local worker calls it unchanged)."""

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared.events import Envelope
from smartpay_shared.runtime.consumer import QueueConsumer

logger = Logger(service="fraud")
tracer = Tracer(service="fraud")


class StepNotImplemented(RuntimeError):
    """Loud placeholder: the message fails and the redrive policy keeps it (DLQ) until issue #3 lands."""


def _not_implemented(envelope: Envelope) -> None:
    raise StepNotImplemented(f"fraud cannot handle {envelope.event_type} yet (issue #3)")


consumer = QueueConsumer(
    {
    "payment.requested": _not_implemented,
    },
    logger=logger,
    tracer=tracer,
)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
