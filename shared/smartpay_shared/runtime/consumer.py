"""The SQS record handler every service's queue Lambda uses: parse and validate the envelope, log with
the correlation id, trace, dispatch by event type; failures are reported per record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from smartpay_shared.events.envelope import Envelope
from smartpay_shared.events.parsing import InvalidEvent, parse_sqs_body
from smartpay_shared.runtime import tracing

EventHandler = Callable[[Envelope], None]


class NotSubscribed(InvalidEvent):
    """The queue got an event type its service does not handle (a rule and a manifest disagree)."""


class QueueConsumer:
    def __init__(self, handlers: Mapping[str, EventHandler], *, logger: Logger, tracer: Tracer | None = None):
        self._handlers = dict(handlers)
        self._logger = logger
        self._tracer = tracer
        self._processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(self, record: SQSRecord) -> None:
        receive_count = record.attributes.approximate_receive_count
        try:
            _, envelope = parse_sqs_body(record.body)
            handler = self._handlers.get(envelope.event_type)
            if handler is None:
                raise NotSubscribed(f"no handler for {envelope.event_type!r} in this service")
        except InvalidEvent as e:
            # Never dropped: failing the record leaves it to the queue's redrive policy (-> DLQ).
            self._logger.error(
                "invalid event",
                extra={"message_id": record.message_id, "reason": str(e), "receive_count": receive_count},
            )
            raise
        metadata = envelope.metadata
        self._logger.set_correlation_id(metadata.correlation_id)
        self._logger.append_keys(event_id=metadata.event_id, event_type=metadata.event_type)
        self._logger.info("event received", extra={"message_id": record.message_id, "receive_count": receive_count})
        try:
            with tracing.subsegment(f"handle {metadata.event_type}", envelope):
                handler(envelope)
            self._logger.info("event handled", extra={"message_id": record.message_id})
        except Exception as e:
            self._logger.exception(
                "event handler failed",
                extra={"message_id": record.message_id, "reason": f"{type(e).__name__}: {e}",
                       "receive_count": receive_count},
            )
            raise
        finally:
            self._logger.remove_keys(["event_id", "event_type"])
            self._logger.set_correlation_id(None)

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return process_partial_response(
            event=event, record_handler=self.record_handler, processor=self._processor, context=context
        )
