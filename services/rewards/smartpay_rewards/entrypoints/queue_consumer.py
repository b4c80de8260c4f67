"""SQS consumer Lambda of the rewards service: payment.captured earns points, payment.refunded claws them
back (service_layer/ledger.py). A redelivered event is a no-op success; an event the ledger can never apply
fails its record with the reason (InvalidEvent -> the redrive policy dead-letters it)."""

from aws_lambda_powertools import Logger, Tracer

from smartpay_shared.events import Envelope
from smartpay_shared.events.parsing import InvalidEvent
from smartpay_shared.runtime.consumer import QueueConsumer

from smartpay_rewards import bootstrap
from smartpay_rewards.domain.errors import InvalidRewardEvent
from smartpay_rewards.domain.events import CAPTURED, REFUNDED, capture_of, refund_of
from smartpay_rewards.service_layer import ledger

logger = Logger(service="rewards")
tracer = Tracer(service="rewards")


def _log(change, payment_id: str) -> None:
    if change is None:
        logger.info("event applied before: nothing to do", extra={"payment_id": payment_id})
    else:
        logger.info("ledger updated", extra={"payment_id": payment_id, "entries": len(change.entries),
                                             "points": sum(e.points for e in change.entries)})


def _captured(envelope: Envelope) -> None:
    rewards = bootstrap.service()
    try:
        change = ledger.apply_captured(capture_of(envelope.data, envelope.metadata.event_id,
                                                  envelope.metadata.occurred_at), rewards.uow, rewards.rates,
                                      rewards.shown_offers)
    except InvalidRewardEvent as e:
        raise InvalidEvent(str(e)) from e
    _log(change, envelope.data.payment_id)


def _refunded(envelope: Envelope) -> None:
    rewards = bootstrap.service()
    try:
        change = ledger.apply_refunded(refund_of(envelope.data, envelope.metadata.event_id,
                                                 envelope.metadata.occurred_at), rewards.uow)
    except InvalidRewardEvent as e:
        raise InvalidEvent(str(e)) from e
    _log(change, envelope.data.payment_id)


consumer = QueueConsumer({CAPTURED: _captured, REFUNDED: _refunded}, logger=logger, tracer=tracer)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return consumer(event, context)
