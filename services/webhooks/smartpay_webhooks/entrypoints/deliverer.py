"""The deliverer Lambda: attempts deliveries from the delivery queue (not the event queue, so a slow
endpoint holds up no payment event), each attempt in a thread of its own (a slow endpoint holds up no
other delivery of the batch beyond the pool's width).

Invoked by the delivery queue's event source mapping (SQS records: partial batch failures), or by its
schedule / the local loop (`smartpay webhooks deliver --loop`) with no records: it then drains the queue
until it is empty or the time budget is spent."""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from aws_lambda_powertools import Logger

from smartpay_webhooks import bootstrap
from smartpay_webhooks.adapters.sqs_queue import task_from

logger = Logger(service="webhooks")
DRAIN_BUDGET_SECONDS = 40.0
PARALLEL_ATTEMPTS = 16


def attempt(body: str) -> str:
    task = task_from(body)
    outcome = bootstrap.service().deliverer.handle(task)
    logger.info("delivery", extra={"delivery_id": task.delivery_id, "endpoint_id": task.endpoint_id,
                                   "attempt": task.attempt + 1, "outcome": outcome})
    return outcome


def drain(budget_seconds: float = DRAIN_BUDGET_SECONDS, wait_seconds: int = 1) -> dict[str, int]:
    """Receive and attempt until the queue answers empty or the budget is spent; a message is deleted
    after its attempt (a crash before that re-delivers it: at least once)."""
    queue = bootstrap.service().queue
    counts: dict[str, int] = {}
    deadline = time.monotonic() + budget_seconds
    running: dict[Future, str] = {}

    def settle(done) -> None:
        for future in done:
            receipt = running.pop(future)
            try:
                outcome = future.result()
            except Exception:
                logger.exception("delivery attempt failed: the message comes back after its visibility timeout")
                outcome = "error"
            else:
                queue.delete(receipt)
            counts[outcome] = counts.get(outcome, 0) + 1

    with ThreadPoolExecutor(PARALLEL_ATTEMPTS) as pool:
        while time.monotonic() < deadline:
            if len(running) >= PARALLEL_ATTEMPTS:
                settle(wait(running, return_when=FIRST_COMPLETED).done)
                continue
            messages = queue.receive(max_messages=min(10, PARALLEL_ATTEMPTS - len(running)), wait_seconds=wait_seconds)
            if not messages and not running:
                break
            for message in messages:
                running[pool.submit(attempt, message["Body"])] = message["ReceiptHandle"]
            settle([f for f in list(running) if f.done()])
        settle(wait(running).done)
    return counts


class BatchFailed(RuntimeError):
    """Some attempt of the batch raised: the whole batch comes back (the mapping of provider 3.39 has no
    ReportBatchItemFailures); the attempts that were recorded are stale on the second pass."""


@logger.inject_lambda_context
def lambda_handler(event, context):
    records = (event or {}).get("Records") or []
    if not records:
        # Leave one attempt's timeout and a margin before the function's own timeout.
        remaining = context.get_remaining_time_in_millis() / 1000 if context else DRAIN_BUDGET_SECONDS
        return drain(budget_seconds=max(1.0, min(DRAIN_BUDGET_SECONDS, remaining - 10.0)))
    failures = []
    with ThreadPoolExecutor(PARALLEL_ATTEMPTS) as pool:
        futures = {pool.submit(attempt, record["body"]): record["messageId"] for record in records}
        for future, message_id in futures.items():
            try:
                future.result()
            except Exception:
                logger.exception("delivery attempt failed", extra={"message_id": message_id})
                failures.append({"itemIdentifier": message_id})
    if failures:
        raise BatchFailed(f"{len(failures)} of {len(records)} delivery attempts raised")
    return {"batchItemFailures": failures}
