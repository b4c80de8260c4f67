"""The SQS record handler every service's queue Lambda uses: parse and validate the envelope, log with
the correlation id, trace, dispatch by event type; failures are reported per record."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import boto3

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


MAX_VISIBILITY_SECONDS = 43_200  # SQS's own limit (12 h)


def retry_after_seconds(error: BaseException) -> int | None:
    """A handler error that knows when trying again makes sense (e.g. another delivery holds the
    payment's charge claim until its lease ends) says so as `retry_after_seconds`."""
    value = getattr(error, "retry_after_seconds", None)
    return max(1, min(int(value), MAX_VISIBILITY_SECONDS)) if isinstance(value, int | float) and value > 0 else None


class QueueConsumer:
    def __init__(self, handlers: Mapping[str, EventHandler], *, logger: Logger, tracer: Tracer | None = None):
        self._handlers = dict(handlers)
        self._logger = logger
        self._tracer = tracer

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
        # Thread-local keys: the local worker runs several invocations of this consumer at once.
        self._logger.thread_safe_append_keys(correlation_id=metadata.correlation_id, event_id=metadata.event_id,
                                             event_type=metadata.event_type)
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
            delay = retry_after_seconds(e)
            if delay:
                self._back_off(record, delay)
            raise
        finally:
            self._logger.thread_safe_remove_keys(["correlation_id", "event_id", "event_type"])

    def _back_off(self, record: SQSRecord, seconds: int) -> None:
        """Keep the failed record invisible for `seconds` (not just the queue's visibility timeout), so
        its next receive comes when retrying can succeed instead of spending the receive budget (and
        dead-lettering) while it cannot. Best effort: the redrive policy still holds if this fails."""
        try:
            _, _, _, region, account, name = record.event_source_arn.split(":", 5)
            sqs = boto3.client("sqs", region_name=region, endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=record.receipt_handle,
                                          VisibilityTimeout=seconds)
            self._logger.info("record backs off", extra={"message_id": record.message_id, "seconds": seconds})
        except Exception as e:  # noqa: BLE001 - a delay is an optimisation; the failure itself is reported
            self._logger.warning("could not delay the record", extra={"message_id": record.message_id,
                                                                      "reason": f"{type(e).__name__}: {e}"})

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        # One processor per invocation: it holds the batch's successes and failures, and the local worker
        # runs several invocations at once (a shared one mixed their batchItemFailures).
        return process_partial_response(
            event=event, record_handler=self.record_handler, processor=BatchProcessor(event_type=EventType.SQS),
            context=context,
        )
