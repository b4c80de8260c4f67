"""The sweeper: re-sends events left in outboxes, retries pending refunds, and resumes or fails
sagas stuck past their deadline (a charge in flight is settled from the gateway's own record)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.domain import model as m
from smartpay_payment.domain.timeline import Cause
from smartpay_payment.service_layer.saga import Saga
from smartpay_shared.runtime.publisher import PublishError

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    republished: int = 0
    refunds_retried: int = 0
    resumed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def sweep(saga: Saga, *, outbox_grace: timedelta, now: datetime | None = None) -> SweepReport:
    now = now or saga.clock()
    report = SweepReport()
    for stored in saga.uow.payments.sweep_candidates(now, now - outbox_grace):
        payment = stored.payment
        cause = Cause(None, now, source="sweeper")
        try:
            if stored.outbox:
                saga.uow.flush(stored)
                report.republished += len(stored.outbox)
            for refund in [r for r in payment.refunds if r.status == "pending"]:
                saga.settle_refund(saga.uow.payments.get(payment.payment_id).payment, refund, cause)
                report.refunds_retried += 1
            payment = saga.uow.payments.get(payment.payment_id).payment
            if payment.state in m.TERMINAL or not stored.deadline_at or stored.deadline_at >= now.timestamp():
                continue
            if payment.state in m.CHARGING:
                saga.resume_charge(payment, cause, late_ok=False)
                report.resumed += 1
            else:
                saga.fail_saga(payment, cause, "saga_timeout", f"no progress past the deadline in {payment.state}")
                report.failed += 1
        except (GatewayError, PublishError, m.NotYet) as e:
            log.warning("sweep of %s: %s", payment.payment_id, e)
            report.errors.append(f"{payment.payment_id}: {e}")
    return report
