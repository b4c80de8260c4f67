"""SQS consumer Lambda of the fraud service (the local worker calls it unchanged)."""

from importlib.metadata import version

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.events import Envelope, Producer
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.publisher import EventPublisher

from smartpay_fraud import bootstrap
from smartpay_fraud.service_layer.handlers import handle_payment_requested

logger = Logger(service="fraud")
tracer = Tracer(service="fraud")
PRODUCER = Producer(service="fraud", version=version("smartpay-fraud"))


def payment_requested(envelope: Envelope) -> None:
    # Invalid amounts/currencies raise InvalidTransaction: the record fails, the consumer logs the
    # reason, and the redrive policy moves it to the DLQ.
    publisher = EventPublisher(aws.client("events"), platform_settings().event_bus)
    out = handle_payment_requested(envelope, bootstrap.scoring_service(), publisher, PRODUCER)
    logger.info("fraud assessed", extra={"decision": out.data.decision, "score": out.data.score,
                                         "model_version": out.data.model_version})


consumer = QueueConsumer({"payment.requested": payment_requested}, logger=logger, tracer=tracer)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
