"""Local stand-in for Lambda's SQS event source mapping: long-poll a queue, call the unchanged Lambda
handler with the exact SQS event shape, delete what succeeded, leave failures to the redrive policy.

Like the mapping, it runs up to `concurrency` invocations at once (one poller per slot, each invoking
with the batch it received): the deployed function's reserved concurrency, so a burst is handled as
AWS would handle it, not one batch at a time. The first invocation runs alone (a cold start: lazy
clients and models are built once), then every slot polls.

Like the mapping, too, its pollers scale with the traffic: a slot whose long poll came back empty while
another slot was polling parks, and a slot that receives messages wakes a parked one before it invokes.
So an idle queue has one long poll waiting on it (not `concurrency` of them: each empty answer cost the
worker and the emulator CPU, and every message woke every waiting poll in the emulator), while a slot is
free there is always one polling, and under load every slot polls. A message therefore finds a poller
waiting whenever a slot is free, as before.

Like the mapping again, the records the handler succeeded on are deleted in batches across the concurrent
invocations, not one DeleteMessageBatch per invocation: one DeleteBatcher per queue (runtime/deletes.py), up to
10 entries a call; a failed record is never deleted, and stopping sends every delete still waiting."""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smartpay_shared.runtime.deletes import DeleteBatcher
from smartpay_shared.runtime.lambda_context import LocalLambdaContext

log = logging.getLogger("smartpay.worker")

Handler = Callable[[dict[str, Any], Any], Any]


def _message_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """SQS API attribute shape -> Lambda event shape (camelCase, list fields always present)."""
    out = {}
    for name, value in attrs.items():
        out[name] = {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value["DataType"],
        }
        out[name] = {k: v for k, v in out[name].items() if v is not None}
    return out


def to_lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": dict(message.get("Attributes", {})),
        "messageAttributes": _message_attributes(message.get("MessageAttributes", {})),
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_ids(response: Any, batch_ids: list[str]) -> set[str]:
    """Which records Lambda would retry, following the ReportBatchItemFailures rules: an invalid
    response or an unknown/empty identifier fails the whole batch."""
    if response is None:
        return set()
    if not isinstance(response, dict):
        return set(batch_ids)
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return set(batch_ids)
    ids = set()
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in batch_ids:
            return set(batch_ids)
        ids.add(ident)
    return ids


@dataclass
class BatchResult:
    received: int
    succeeded: int
    failed: int


class SqsWorker:
    def __init__(
        self,
        sqs_client: Any,
        queue_url: str,
        handler: Handler,
        *,
        function_name: str,
        region: str,
        batch_size: int = 10,
        wait_time_seconds: int = 5,
        handler_timeout: float = 30.0,
        on_batch: Callable[[BatchResult], None] | None = None,
        around_invoke: Callable[[list[dict[str, Any]], Callable[[], Any]], Any] | None = None,
        concurrency: int = 1,
        delete_linger: float = 0.1,
    ):
        if not 1 <= batch_size <= 10:
            raise ValueError("batch_size must be 1..10 (the SQS receive limit)")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._warm = threading.Event()  # set once the first invocation has run (the cold start)
        self._sqs = sqs_client
        self._queue_url = queue_url
        self._handler = handler
        self._function_name = function_name
        self._region = region
        self._batch_size = batch_size
        self._wait = wait_time_seconds
        self._timeout = handler_timeout
        self._on_batch = on_batch
        self._around_invoke = around_invoke
        self._stop = threading.Event()
        self._turns = threading.Condition()  # guards the three counts below
        self._polling = 0  # slots waiting on receive_message now
        self._parked = 0  # slots parked after an empty poll
        self._wakeups = 0  # parked slots asked to poll again (never more than are parked)
        self._deletes = DeleteBatcher(sqs_client, queue_url, linger=delete_linger)
        self._queue_arn = self._sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]

    def stop(self, *_: Any) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self) -> None:
        """Poll with `concurrency` slots until stop(): batches in flight are finished (and their deletes
        sent) before returning."""
        log.info("worker %s polling %s with %d concurrent invocations", self._function_name, self._queue_url,
                 self.concurrency)
        slots = [threading.Thread(target=self._slot, args=(i,), name=f"{self._function_name}-{i}", daemon=True)
                 for i in range(1, self.concurrency)]
        self._deletes.start()
        try:
            for slot in slots:
                slot.start()
            self._slot(0)
            for slot in slots:
                slot.join()
        finally:
            self._deletes.close()  # every delete still waiting is sent
        log.info("worker %s stopped", self._function_name)

    def _slot(self, index: int) -> None:
        if index:  # every slot but the first waits for the cold start to be over
            while not self._warm.wait(0.5):
                if self._stop.is_set():
                    return
        while not self._stop.is_set():
            try:
                messages = self._receive_in_turn()
                if messages:
                    self._invoke(messages)
                elif self._should_park():
                    self._park()
            except Exception:  # a broken poll (emulator restart, network) must not kill the worker
                log.exception("poll failed; backing off")
                self._stop.wait(1.0)

    def _receive_in_turn(self) -> list[dict[str, Any]]:
        """One long poll, counted among the slots polling; a batch received wakes a parked slot first (the
        next message then finds it polling while this one invokes)."""
        with self._turns:
            self._polling += 1
        messages: list[dict[str, Any]] = []
        try:
            messages = self._receive()
        finally:
            with self._turns:
                self._polling -= 1
                if messages and self._wakeups < self._parked:
                    self._wakeups += 1
                    self._turns.notify()
        return messages

    def _should_park(self) -> bool:
        """After an empty poll: park when another slot is polling (it keeps the queue watched); keep polling
        when this slot is the only one."""
        with self._turns:
            if self._polling == 0:
                return False
            self._parked += 1
            return True

    def _park(self) -> None:
        with self._turns:
            try:
                while not self._wakeups:
                    if self._stop.is_set():
                        return
                    self._turns.wait(1.0)  # stop() only sets an event (it runs in a signal handler)
                self._wakeups -= 1
            finally:
                self._parked -= 1
                self._wakeups = min(self._wakeups, self._parked)

    def poll_once(self) -> BatchResult:
        messages = self._receive()
        if not messages:
            return BatchResult(0, 0, 0)
        return self._invoke(messages)

    def _receive(self) -> list[dict[str, Any]]:
        response = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=self._wait,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return response.get("Messages", [])

    def _invoke(self, messages: list[dict[str, Any]]) -> BatchResult:
        try:
            result = self.process(messages)
        finally:
            self._warm.set()
        if self._on_batch:
            self._on_batch(result)
        return result

    def process(self, messages: list[dict[str, Any]]) -> BatchResult:
        records = [to_lambda_record(m, self._queue_arn, self._region) for m in messages]
        ids = [r["messageId"] for r in records]
        context = LocalLambdaContext(
            function_name=self._function_name, region=self._region, timeout_seconds=self._timeout
        )
        event = {"Records": records}

        def invoke() -> Any:
            return self._handler(event, context)

        try:
            response = self._around_invoke(records, invoke) if self._around_invoke else invoke()
            failed = failed_ids(response, ids)
        except Exception:
            log.exception("handler raised: the whole batch of %d is retried", len(records))
            failed = set(ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        # Only what succeeded; while run() runs, coalesced with the other invocations' deletes, else sent now.
        self._deletes.submit(m["ReceiptHandle"] for m in done)
        return BatchResult(len(messages), len(done), len(failed))

