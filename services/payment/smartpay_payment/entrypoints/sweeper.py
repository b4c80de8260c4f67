"""Scheduled Lambda (e.g. EventBridge rate(1 minute)): one sweep (`smartpay payment sweep` locally)."""

from datetime import timedelta

from aws_lambda_powertools import Logger

from smartpay_payment import bootstrap
from smartpay_payment.config import payment_settings
from smartpay_payment.service_layer.sweeper import sweep

logger = Logger(service="payment")


@logger.inject_lambda_context
def lambda_handler(event, context):
    report = sweep(bootstrap.service().saga, outbox_grace=timedelta(seconds=payment_settings().outbox_grace_seconds))
    logger.info("sweep", extra={"report": report.__dict__})
    return {"republished": report.republished, "refunds_retried": report.refunds_retried,
            "resumed": report.resumed, "failed": report.failed, "errors": len(report.errors)}
