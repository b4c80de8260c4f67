"""SQS consumer Lambda of the payment service (the local worker calls it unchanged)."""

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared.events import Envelope
from smartpay_shared.runtime.consumer import QueueConsumer

logger = Logger(service="payment")
tracer = Tracer(service="payment")


class StepNotImplemented(RuntimeError):
    """Loud placeholder: the message fails and the redrive policy keeps it (DLQ) until issue #5 lands."""


def _not_implemented(envelope: Envelope) -> None:
    raise StepNotImplemented(f"payment cannot handle {envelope.event_type} yet (issue #5)")


consumer = QueueConsumer(
    {
    "payment.requested": _not_implemented,
"fraud.assessed": _not_implemented,
"route.selected": _not_implemented,
"payment.indexed": _not_implemented,
    },
    logger=logger,
    tracer=tracer,
)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
