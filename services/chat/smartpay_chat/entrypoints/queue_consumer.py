"""SQS consumer Lambda of the chat service (the local worker calls it unchanged): the payment indexer."""

from functools import cache, partial
from importlib.metadata import version

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared import aws
from smartpay_shared.config import platform_settings
from smartpay_shared.events import Envelope, Producer
from smartpay_shared.events.parsing import parse_sqs_body
from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.publisher import EventPublisher

from smartpay_chat import bootstrap
from smartpay_chat.config import chat_settings
from smartpay_chat.domain.document import REQUESTED_VERSION, PaymentDocument
from smartpay_chat.service_layer import handlers
from smartpay_chat.service_layer.staged_writes import StagedWrites

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


def _handle(handler, writes: StagedWrites, envelope: Envelope) -> None:
    result = handler(envelope, writes, _publish, PRODUCER, document=writes.document(envelope))
    snapshot = getattr(envelope.data, "payment", None)
    logger.info("payment indexed" if result.outcome != "stale" else "stale version ignored",
                extra={"outcome": result.outcome, "index": result.index, "stored_version": result.stored_version,
                       "event_type": envelope.event_type,
                       "event_version": snapshot.version if snapshot else REQUESTED_VERSION})


HANDLERS = {
    "payment.requested": handlers.on_payment_requested,
    "payment.completed": handlers.on_payment_completed,
    "payment.refunded": handlers.on_payment_refunded,
}


def consumer(writes: StagedWrites) -> QueueConsumer:
    """The record-by-record consumer of one invocation, its handlers writing through `writes`."""
    return QueueConsumer({event_type: partial(_handle, handler, writes) for event_type, handler in HANDLERS.items()},
                         logger=logger, tracer=tracer)


def _documents(event: dict) -> list[tuple[Envelope, PaymentDocument]]:
    """Each record that can be read, with its document, in the batch's order. A record that cannot (not an
    event, not subscribed, an inconsistent refund, a card number) is left to its own handling, which fails it
    into the DLQ with its reason, as before: nothing is logged here."""
    documents = []
    for record in event.get("Records") or []:
        try:
            _, envelope = parse_sqs_body(record["body"])
            if envelope.event_type in HANDLERS:
                documents.append((envelope, handlers.document_for(envelope)))
        except Exception:  # noqa: BLE001, S112 - reported by the record's own handling
            continue
    return documents


def _stage(writes: StagedWrites, event: dict) -> None:
    """The batch's documents in one write (one read of the stored versions, one INSERT; vectors at the batch's
    end); each record's handler then takes its document from here instead of building it again. If it fails each record writes on its own, as before: on DuckDB the failed batch wrote nothing (one
    transaction); OpenSearch's batch is one upsert per document, so part may be written (those records then answer
    `duplicate`: nothing lost)."""
    try:
        writes.stage(_documents(event))
    except Exception as e:  # noqa: BLE001 - the records are still handled, each reporting its own failure
        logger.warning("batch write failed: records write one by one", extra={"reason": f"{type(e).__name__}: {e}"})


@logger.inject_lambda_context
def lambda_handler(event, context):
    with index().batch() as batch:  # embedded: the file stays open across batches; one checkpoint + publish each
        writes = StagedWrites(batch)
        _stage(writes, event)
        return consumer(writes)(event, context)
