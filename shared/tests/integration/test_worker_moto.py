"""SqsWorker + QueueConsumer against a real moto server: DLQ for malformed events, partial batch
failures, the Lambda SQS event shape, clean shutdown."""

import io
import json
import threading
import uuid

import pytest
from aws_lambda_powertools import Logger

from smartpay_shared.runtime.consumer import QueueConsumer
from smartpay_shared.runtime.worker import SqsWorker
from smartpay_shared.testing import to_bus_event as bus_event


@pytest.fixture
def queue(aws):
    sqs = aws("sqs")
    dlq = sqs.create_queue(QueueName="svc-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="svc", Attributes={
        "VisibilityTimeout": "1",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
    })["QueueUrl"]
    return sqs, url, dlq


@pytest.fixture
def roomy_queue(aws):
    """For the concurrency tests: a visibility timeout no handler reaches on a loaded machine (a 1 s one let a slow
    batch be received again, a duplicate among the done ids)."""
    sqs = aws("sqs")
    return sqs, sqs.create_queue(QueueName="svc-roomy", Attributes={"VisibilityTimeout": "60"})["QueueUrl"], None


def drain(worker, until, rounds=20):
    for _ in range(rounds):
        worker.poll_once()
        if until():
            return True
    return until()


def depth(sqs, url):
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_malformed_event_ends_in_the_dlq_with_the_reason_logged(queue):
    sqs, url, dlq = queue
    handled, stream = [], io.StringIO()
    # its own stream: a Logger of the same name made by an earlier test keeps that test's captured stdout
    consumer = QueueConsumer({"payment.requested": handled.append},
                             logger=Logger(service=f"test-{uuid.uuid4().hex[:8]}", stream=stream))
    sent = sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"detail-type": "payment.requested"}))
    worker = SqsWorker(sqs, url, consumer, function_name="test", region="us-east-1", wait_time_seconds=1)

    assert drain(worker, lambda: depth(sqs, dlq) == 1)
    dead = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert dead["MessageId"] == sent["MessageId"]
    assert handled == []
    logs = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    invalid = [rec for rec in logs if rec["message"] == "invalid event"]
    assert invalid and invalid[0]["message_id"] == sent["MessageId"]
    assert "not an EventBridge event" in invalid[0]["reason"]


def test_one_failing_record_of_ten_is_the_only_one_retried(queue, envelope):
    sqs, url, dlq = queue
    envs = [envelope(f"pay_BATCH{i:04d}") for i in range(10)]
    poison = envs[4].metadata.event_id
    calls: list[str] = []

    def handler(env):
        calls.append(env.metadata.event_id)
        if env.metadata.event_id == poison and calls.count(poison) == 1:
            raise RuntimeError("gateway timeout")

    consumer = QueueConsumer({"payment.requested": handler}, logger=Logger(service="test"))
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps(bus_event(e), default=str)} for i, e in enumerate(envs)])
    worker = SqsWorker(sqs, url, consumer, function_name="test", region="us-east-1", wait_time_seconds=1)

    first = worker.poll_once()
    assert (first.received, first.succeeded, first.failed) == (10, 9, 1)
    assert drain(worker, lambda: depth(sqs, url) == 0)
    assert sorted(calls) == sorted([e.metadata.event_id for e in envs] + [poison])
    assert depth(sqs, dlq) == 0


def test_handler_sees_the_exact_lambda_sqs_shape(queue):
    sqs, url, _ = queue
    seen = {}

    def handler(event, context):
        seen["event"], seen["context"] = event, context

    sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "probe"}})
    SqsWorker(sqs, url, handler, function_name="fn", region="us-east-1", wait_time_seconds=1).poll_once()
    record = seen["event"]["Records"][0]
    assert set(record) == {"messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                           "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"}
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":svc")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "probe", "stringListValues": [], "binaryListValues": [], "dataType": "String"}
    assert seen["context"].get_remaining_time_in_millis() > 0
    assert depth(sqs, url) == 0  # None response = all succeeded = deleted


def test_stop_finishes_the_loop(queue):
    sqs, url, _ = queue
    worker = SqsWorker(sqs, url, lambda e, c: None, function_name="fn", region="us-east-1", wait_time_seconds=1)
    thread = threading.Thread(target=worker.run)
    thread.start()
    worker.stop()
    thread.join(timeout=5)
    assert not thread.is_alive()


class LaterPlease(Exception):
    retry_after_seconds = 30


def test_a_handler_that_says_when_to_retry_keeps_its_record_away_until_then(queue, envelope):
    """A record whose handler raises with `retry_after_seconds` is not received again at the queue's
    visibility timeout (1 s here) but only after that delay: it does not spend its receive budget (2
    here, then the DLQ) while retrying cannot succeed. Any other failure comes back at once."""
    sqs, url, dlq = queue
    later, soon = [], []

    def handle(env):
        (later if env.data.payment_id == "pay_LATER0001" else soon).append(env.data.payment_id)
        raise LaterPlease("claimed by another delivery") if env.data.payment_id == "pay_LATER0001" \
            else RuntimeError("transient")

    consumer = QueueConsumer({"payment.requested": handle}, logger=Logger(service="test"))
    for pid in ("pay_LATER0001", "pay_SOON00001"):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(bus_event(envelope(pid))))
    worker = SqsWorker(sqs, url, consumer, function_name="test", region="us-east-1", wait_time_seconds=1)
    assert drain(worker, lambda: depth(sqs, dlq) == 1, rounds=15)  # the other: back at 1 s, twice, DLQ
    assert soon == ["pay_SOON00001", "pay_SOON00001"]
    assert later == ["pay_LATER0001"]  # received once: invisible for 30 s, not dead-lettered
    dead = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert "pay_SOON00001" in dead[0]["Body"]


def test_the_worker_runs_up_to_its_concurrency_at_once_after_a_lone_cold_start(roomy_queue, envelope):
    """Like Lambda's SQS mapping under a reserved concurrency of 4: a burst of 12 one-record batches is
    handled 4 at a time, never more; the first invocation (the cold start) runs alone."""
    sqs, url, _ = roomy_queue
    lock, running, peaks, done = threading.Lock(), [0], [], []

    def handle(env):
        with lock:
            running[0] += 1
            peaks.append(running[0])
        threading.Event().wait(1.0)  # I/O-bound work (a gateway call): long enough for four to overlap
        with lock:
            running[0] -= 1
            done.append(env.data.payment_id)

    consumer = QueueConsumer({"payment.requested": handle}, logger=Logger(service="test"))
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps(bus_event(envelope(f"pay_CONC{i:04d}")), default=str)}
        for i in range(10)])
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps(bus_event(envelope(f"pay_CONC{i:04d}")), default=str)}
        for i in range(10, 12)])
    worker = SqsWorker(sqs, url, consumer, function_name="test", region="us-east-1", wait_time_seconds=1,
                       batch_size=1, concurrency=4)
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = threading.Event()
        for _ in range(600):
            if len(done) == 12:
                break
            deadline.wait(0.1)
    finally:
        worker.stop()
        thread.join(timeout=10)
    assert sorted(done) == [f"pay_CONC{i:04d}" for i in range(12)]
    assert peaks[0] == 1  # the cold start ran alone
    assert max(peaks) == 4  # then four at a time, never five
    assert depth(sqs, url) == 0


def test_concurrent_invocations_of_one_consumer_report_only_their_own_failures(envelope):
    """One QueueConsumer serves every concurrent invocation of a worker: each invocation's
    batchItemFailures name exactly its own failed records (a shared batch processor mixed them)."""
    from concurrent.futures import ThreadPoolExecutor

    from smartpay_shared.runtime.lambda_context import LocalLambdaContext
    from smartpay_shared.runtime.worker import to_lambda_record

    def handle(env):
        threading.Event().wait(0.01)
        if env.data.payment_id.endswith("BAD"):
            raise RuntimeError("declined by the test")

    consumer = QueueConsumer({"payment.requested": handle}, logger=Logger(service="test"))

    def invoke(n: int) -> tuple[set[str], set[str]]:
        records, bad = [], set()
        for i in range(5):
            pid = f"pay_{n:03d}{i}X" + ("BAD" if (n + i) % 3 == 0 else "OKK")
            message = {"MessageId": f"m-{n}-{i}", "ReceiptHandle": "r", "Attributes": {"ApproximateReceiveCount": "1"},
                       "Body": json.dumps(bus_event(envelope(pid)), default=str)}
            records.append(to_lambda_record(message, "arn:aws:sqs:us-east-1:123456789012:svc", "us-east-1"))
            if pid.endswith("BAD"):
                bad.add(message["MessageId"])
        response = consumer({"Records": records}, LocalLambdaContext(function_name="fn", region="us-east-1"))
        return bad, {f["itemIdentifier"] for f in response["batchItemFailures"]}

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(invoke, range(40)))
    assert all(expected == reported for expected, reported in results)


class CountingPolls:
    """The SQS client, counting the long polls waiting at once (what the emulator holds open)."""

    def __init__(self, sqs):
        self.sqs, self.lock, self.now, self.calls = sqs, threading.Lock(), 0, 0

    def __getattr__(self, name):
        return getattr(self.sqs, name)

    def receive_message(self, **kwargs):
        with self.lock:
            self.now += 1
            self.calls += 1
        try:
            return self.sqs.receive_message(**kwargs)
        finally:
            with self.lock:
                self.now -= 1


def test_an_idle_worker_keeps_one_poll_waiting_and_a_burst_still_gets_every_slot(roomy_queue, envelope):
    """Like Lambda's mapping, the pollers follow the traffic: idle, one long poll waits on the queue (not one
    per slot: each empty answer costs CPU on both sides); a burst after the idle spell is still handled four
    at a time (a slot that receives wakes a parked one), and a lone message finds a poller at once."""
    sqs, url, _ = roomy_queue
    polls = CountingPolls(sqs)
    lock, running, peaks, done = threading.Lock(), [0], [], []

    def handle(env):
        with lock:
            running[0] += 1
            peaks.append(running[0])
        threading.Event().wait(1.0)
        with lock:
            running[0] -= 1
            done.append(env.data.payment_id)

    consumer = QueueConsumer({"payment.requested": handle}, logger=Logger(service="test"))
    worker = SqsWorker(polls, url, consumer, function_name="test", region="us-east-1", wait_time_seconds=1,
                       batch_size=1, concurrency=4)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(bus_event(envelope("pay_COLD0001")), default=str))
    thread = threading.Thread(target=worker.run)
    thread.start()
    pause = threading.Event()
    try:
        for _ in range(50):  # the cold start
            if done:
                break
            pause.wait(0.1)
        pause.wait(3.5)  # every slot polled once after the cold start; all but one came back empty and parked
        waiting, calls = [], polls.calls
        for _ in range(10):
            waiting.append(polls.now)
            pause.wait(0.2)
        idle_calls = polls.calls - calls  # over 2 s of 1 s polls
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps(bus_event(envelope(f"pay_IDLE{i:04d}")), default=str)}
            for i in range(8)])
        for _ in range(600):
            if len(done) == 9:
                break
            pause.wait(0.1)
    finally:
        worker.stop()
        thread.join(timeout=10)
    assert max(waiting) == 1 and idle_calls <= 3  # four slots, one poll waiting (was: four, ~8 calls)
    assert len(done) == 9 and max(peaks[1:]) == 4  # the burst: four at a time again
    assert depth(sqs, url) == 0


class CountingCalls:
    """The SQS client, counting receive and delete calls and the messages they carried; `fail_deletes` makes
    that many DeleteMessageBatch calls fail as a whole first (the emulator restarting)."""

    def __init__(self, sqs, fail_deletes=0):
        self.sqs, self.lock, self.fail_deletes = sqs, threading.Lock(), fail_deletes
        self.receives, self.received, self.deletes, self.deleted = 0, 0, 0, []

    def __getattr__(self, name):
        return getattr(self.sqs, name)

    def receive_message(self, **kwargs):
        got = self.sqs.receive_message(**kwargs)
        with self.lock:
            self.receives += 1
            self.received += len(got.get("Messages", []))
        return got

    def delete_message_batch(self, **kwargs):
        with self.lock:
            self.deletes += 1
            if self.fail_deletes:
                self.fail_deletes -= 1
                raise ConnectionError("emulator restarting")
        answer = self.sqs.delete_message_batch(**kwargs)
        with self.lock:
            self.deleted += [e["ReceiptHandle"] for e in kwargs["Entries"]]
        return answer


def run_until(worker, until, seconds=60):
    thread = threading.Thread(target=worker.run)
    thread.start()
    pause = threading.Event()
    try:
        for _ in range(int(seconds * 10)):
            if until():
                break
            pause.wait(0.1)
    finally:
        worker.stop()
        thread.join(timeout=15)
    assert not thread.is_alive()


def test_a_burst_is_deleted_in_few_calls_and_only_what_succeeded_is_deleted(roomy_queue, envelope):
    """Like the mapping: a burst of 40 one-record invocations, 8 at a time, costs far fewer delete calls than
    one per invocation (coalesced across the concurrent invocations); the records whose handler failed are
    never deleted, every other one exactly once."""
    sqs, url, _ = roomy_queue
    calls = CountingCalls(sqs)
    lock, running, peaks, done, failed = threading.Lock(), [0], [], [], []

    def handle(env):
        with lock:
            running[0] += 1
            peaks.append(running[0])
        threading.Event().wait(0.3)
        with lock:
            running[0] -= 1
            if env.data.payment_id.endswith("7"):
                failed.append(env.data.payment_id)
                raise RuntimeError("declined by the test")
            done.append(env.data.payment_id)

    consumer = QueueConsumer({"payment.requested": handle}, logger=Logger(service="test"))
    worker = SqsWorker(calls, url, consumer, function_name="test", region="us-east-1", wait_time_seconds=1,
                       batch_size=1, concurrency=8)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(bus_event(envelope("pay_WARM0000")), default=str))
    ids = [f"pay_BURST{i:03d}" for i in range(40)]
    thread = threading.Thread(target=lambda: run_until(worker, lambda: len(done) + len(failed) == 41))
    thread.start()
    pause = threading.Event()
    for _ in range(100):  # the cold start is over and the slots parked
        if done:
            break
        pause.wait(0.1)
    pause.wait(2.5)
    before_deletes = calls.deletes
    for start in range(0, 40, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps(bus_event(envelope(pid)), default=str)}
            for i, pid in enumerate(ids[start:start + 10])])
    thread.join(timeout=90)
    assert sorted(done + failed) == sorted(ids + ["pay_WARM0000"])
    assert max(peaks) <= 8
    burst_deletes = calls.deletes - before_deletes
    assert burst_deletes <= 18, burst_deletes  # was one call per succeeded record (36)
    assert len(calls.deleted) == 37 and len(set(calls.deleted)) == 37  # 36 + the warm-up, each once
    assert depth(sqs, url) == 4  # the four failed records, left to their visibility timeout


def test_stopping_sends_every_delete_still_waiting_and_a_failed_delete_call_is_tried_again(roomy_queue, envelope):
    """A worker stopped right after its invocations succeeded deletes their records before run() returns (a
    linger far longer than the test); a DeleteMessageBatch call that fails as a whole is sent again."""
    sqs, url, _ = roomy_queue
    calls = CountingCalls(sqs, fail_deletes=1)
    done = []
    consumer = QueueConsumer({"payment.requested": lambda env: done.append(env.data.payment_id)},
                             logger=Logger(service="test"))
    worker = SqsWorker(calls, url, consumer, function_name="test", region="us-east-1", wait_time_seconds=1,
                       batch_size=1, concurrency=4, delete_linger=600)
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps(bus_event(envelope(f"pay_STOP{i:04d}")), default=str)}
        for i in range(6)])
    run_until(worker, lambda: len(done) == 6)
    assert len(done) == 6
    assert len(calls.deleted) == 6
    assert depth(sqs, url) == 0
