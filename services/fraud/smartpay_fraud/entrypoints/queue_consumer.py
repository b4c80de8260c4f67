"""SQS consumer Lambda of the fraud service (the local worker calls it unchanged): scores payment.requested, and
records the fraud labels of payment.disputed and fraud.reported (service_layer/labels.py).

An SQS batch is scored as one batch (one Redis round trip, one model call) before the per-record
handlers run; each record then publishes its own fraud.assessed and fails on its own. If the batch
scoring fails (Redis down, no model, or any unexpected error), every record is scored on its own and fails
with its reason, so one bad batch never fails the whole SQS batch."""

from importlib.metadata import version

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.events import Envelope, Producer
from smartpay_shared.events.parsing import InvalidEvent, parse_sqs_body
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.publisher import EventPublisher

from smartpay_fraud import bootstrap
from smartpay_fraud.domain.decision import Assessment
from smartpay_fraud.domain.errors import FraudError
from smartpay_fraud.service_layer import labels
from smartpay_fraud.service_layer.handlers import assess_payments, handle_payment_requested

logger = Logger(service="fraud")
tracer = Tracer(service="fraud")
PRODUCER = Producer(service="fraud", version=version("smartpay-fraud"))
_batch: dict[str, Assessment] = {}  # event id -> assessment, for the batch being handled


def payment_requested(envelope: Envelope) -> None:
    # Invalid amounts/currencies raise InvalidTransaction: the record fails, the consumer logs the
    # reason, and the redrive policy moves it to the DLQ.
    publisher = EventPublisher(aws.client("events"), platform_settings().event_bus)
    out = handle_payment_requested(envelope, bootstrap.scoring_service(), publisher, PRODUCER,
                                   _batch.pop(envelope.metadata.event_id, None))
    logger.info("fraud assessed", extra={"decision": out.data.decision, "score": out.data.score,
                                         "model_version": out.data.model_version})


def _label_logged(envelope: Envelope, outcome: str) -> None:
    level = logger.warning if outcome in ("unknown payment", "payment scored without label entities") else logger.info
    level("fraud label", extra={"outcome": outcome, "known_at": envelope.data.known_at.isoformat()})


def payment_disputed(envelope: Envelope) -> None:
    # A label known before its payment fails the record (InvalidLabel: the reason is logged, the redrive policy
    # moves it to the DLQ); Redis down fails it too, and the queue redelivers it.
    _label_logged(envelope, labels.handle_payment_disputed(envelope, bootstrap.label_store()))


def fraud_reported(envelope: Envelope) -> None:
    _label_logged(envelope, labels.handle_fraud_reported(envelope, bootstrap.label_store()))


consumer = QueueConsumer({"payment.requested": payment_requested, "payment.disputed": payment_disputed,
                          "fraud.reported": fraud_reported}, logger=logger, tracer=tracer)


def score_batch(event: dict) -> None:
    """Pre-score the batch's valid payment.requested records (the record handlers use the results)."""
    envelopes = []
    for record in event.get("Records", []):
        try:
            _, envelope = parse_sqs_body(record.get("body", ""))
        except InvalidEvent:
            continue  # the record handler fails it with the reason
        if envelope.event_type == "payment.requested":
            envelopes.append(envelope)
    if not envelopes:
        return
    try:
        _batch.update(assess_payments(envelopes, bootstrap.scoring_service()))
    except Exception as e:  # noqa: BLE001 - any failure here: each record is scored (and fails) on its own
        level = logger.warning if isinstance(e, FraudError) else logger.exception
        level("batch scoring failed; scoring record by record", extra={"reason": f"{type(e).__name__}: {e}"})


def handle(event: dict, context) -> dict:
    score_batch(event)
    try:
        return consumer(event, context)
    finally:
        _batch.clear()


@logger.inject_lambda_context
def lambda_handler(event, context):
    return handle(event, context)
