"""SQS consumer Lambda of the chat service (the local worker calls it unchanged)."""

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared.events import Envelope
from smartpay_shared.runtime.consumer import QueueConsumer

logger = Logger(service="chat")
tracer = Tracer(service="chat")


class StepNotImplemented(RuntimeError):
    """Loud placeholder: the message fails and the redrive policy keeps it (DLQ) until issue #7 lands."""


def _not_implemented(envelope: Envelope) -> None:
    raise StepNotImplemented(f"chat cannot handle {envelope.event_type} yet (issue #7)")


consumer = QueueConsumer(
    {
    "payment.completed": _not_implemented,
"payment.refunded": _not_implemented,
    },
    logger=logger,
    tracer=tracer,
)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
