"""The payment worker on a real queue (moto): the bus rules of its subscriptions into an SQS queue with
the local stack's visibility timeout and redrive policy, the real queue consumer run by the shared SQS
worker, and a stand-in for the fraud and routing services that answers by their event contracts
(approve every payment; route to the first gateway of a preference the method can pay on and not yet
tried). For tests of timing across redeliveries, where the handler alone cannot tell."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Envelope, Producer, new_envelope
from smartpay_shared.events.parsing import parse_sqs_body
from smartpay_shared.runtime.publisher import EventPublisher
from smartpay_shared.runtime.worker import SqsWorker

SUBSCRIPTIONS = ("payment.requested", "fraud.assessed", "route.selected", "route.unavailable", "payment.indexed")
LOCAL_VISIBILITY_SECONDS = 5  # infra/terraform/services/payment/local.tfvars
LOCAL_MAX_RECEIVES = 3


class ServiceQueue:
    """A service's queue (and DLQ) with a bus rule for its event types."""

    def __init__(self, sqs, events, bus: str, event_types: Iterable[str], *,
                 visibility_seconds: int = LOCAL_VISIBILITY_SECONDS, max_receives: int = LOCAL_MAX_RECEIVES):
        self.sqs, self.events, self.bus = sqs, events, bus
        self.name = f"it-{uuid.uuid4().hex[:8]}"
        self.types, self.visibility, self.max_receives = list(event_types), visibility_seconds, max_receives

    def _arn(self, url: str) -> str:
        return self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def __enter__(self) -> ServiceQueue:
        self.dlq_url = self.sqs.create_queue(QueueName=f"{self.name}-dlq")["QueueUrl"]
        self.url = self.sqs.create_queue(QueueName=self.name, Attributes={
            "VisibilityTimeout": str(self.visibility),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": self._arn(self.dlq_url),
                                         "maxReceiveCount": str(self.max_receives)})})["QueueUrl"]
        self.events.put_rule(Name=self.name, EventBusName=self.bus,
                             EventPattern=json.dumps({"detail-type": self.types}))
        self.events.put_targets(Rule=self.name, EventBusName=self.bus,
                                Targets=[{"Id": "q", "Arn": self._arn(self.url)}])
        return self

    def __exit__(self, *_: object) -> None:
        self.events.remove_targets(Rule=self.name, EventBusName=self.bus, Ids=["q"])
        self.events.delete_rule(Name=self.name, EventBusName=self.bus)

    def dead_letters(self) -> int:
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["All"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


class Worker:
    """The shared SQS worker (the local stand-in for Lambda's event source mapping) on a thread."""

    def __init__(self, sqs, queue: ServiceQueue, handler: Callable[[dict, Any], Any], name: str, concurrency: int = 1):
        kwargs = {"concurrency": concurrency} if concurrency > 1 else {}  # (older shared runtimes: one at a time)
        self.worker = SqsWorker(sqs, queue.url, handler, function_name=name, region="us-east-1",
                                wait_time_seconds=1, handler_timeout=queue.visibility, **kwargs)
        self.thread = threading.Thread(target=self.worker.run, name=name, daemon=True)

    def __enter__(self) -> Worker:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.worker.stop()
        self.thread.join(timeout=10)


class Upstream:
    """Fraud and routing by their contracts: payment.requested -> fraud.assessed (approve); fraud.assessed ->
    route.selected attempt 1; route.requested -> route.selected attempt n (or route.unavailable).
    `route_first`: routing answers before the payment service records the fraud result (it heard
    fraud.assessed first): route.selected is published before fraud.assessed."""

    def __init__(self, sqs, events, bus: str, preference: list[str], *, route_first: bool = False):
        self.queue = ServiceQueue(sqs, events, bus, ["payment.requested", "fraud.assessed", "route.requested"])
        self.publisher = EventPublisher(events, bus)
        self.sqs, self.preference, self.route_first = sqs, preference, route_first
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="upstream", daemon=True)

    def __enter__(self) -> Upstream:
        self.queue.__enter__()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join(timeout=10)
        self.queue.__exit__(*exc)

    def _run(self) -> None:
        while not self._stop.is_set():
            for message in self.sqs.receive_message(QueueUrl=self.queue.url, MaxNumberOfMessages=10,
                                                    WaitTimeSeconds=1).get("Messages", []):
                _, envelope = parse_sqs_body(message["Body"])
                self._answer(envelope)
                self.sqs.delete_message(QueueUrl=self.queue.url, ReceiptHandle=message["ReceiptHandle"])

    def _emit(self, service: str, cause: Envelope, data: p.Payload) -> None:
        self.publisher.publish(new_envelope(data, producer=Producer(service=service, version="0.1.0"),
                                            correlation_id=data.payment_id, causation=cause.metadata))

    def _route(self, cause: Envelope, context: p.PaymentContext, attempt: int, excluded: list[str]) -> None:
        ids = {"payment_id": cause.data.payment_id, "merchant_id": cause.data.merchant_id}
        left = [g for g in self.preference if g not in excluded and (context.gateways is None or g in context.gateways)]
        self._emit("routing", cause, p.RouteSelected(**ids, attempt=attempt, gateway=left[0], propensity=1.0,
                                                     policy_version="stand-in", explanation="first preferred")
                   if left else p.RouteUnavailable(**ids, attempt=attempt, code="no_eligible_gateway",
                                                   reason="none left"))

    def _answer(self, envelope: Envelope) -> None:
        data = envelope.data
        if envelope.event_type == "payment.requested":
            context = p.PaymentContext(currency=data.currency, amount=data.amount, method=data.payment_method.type,
                                       gateways=data.method_gateways)
            if self.route_first:
                self._route(envelope, context, 1, [])
            self._emit("fraud", envelope, p.FraudAssessed(
                payment_id=data.payment_id, merchant_id=data.merchant_id, score=0.05, decision="approve",
                model_version="stand-in", threshold_version="stand-in", payment=context))
        elif envelope.event_type == "fraud.assessed" and not self.route_first:
            self._route(envelope, data.payment, 1, [])
        elif envelope.event_type == "route.requested":
            self._route(envelope, data.payment, data.attempt, list(data.excluded_gateways))
