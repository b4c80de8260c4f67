"""SQS consumer Lambda of the routing service (the local worker calls it unchanged)."""

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared.events import Envelope
from smartpay_shared.runtime.consumer import QueueConsumer

logger = Logger(service="routing")
tracer = Tracer(service="routing")


class StepNotImplemented(RuntimeError):
    """Loud placeholder: the message fails and the redrive policy keeps it (DLQ) until issue #4 lands."""


def _not_implemented(envelope: Envelope) -> None:
    raise StepNotImplemented(f"routing cannot handle {envelope.event_type} yet (issue #4)")


consumer = QueueConsumer(
    {
    "fraud.assessed": _not_implemented,
"route.requested": _not_implemented,
"payment.captured": _not_implemented,
"payment.failed": _not_implemented,
    },
    logger=logger,
    tracer=tracer,
)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
