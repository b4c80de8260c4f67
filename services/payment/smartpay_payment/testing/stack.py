"""The payment service's slice of the platform on a moto server: the tables Terraform creates (same
key schema) and the bus; plus SQS-shaped Lambda events for driving the real queue consumer."""

from __future__ import annotations

import json
import uuid

from smartpay_payment.config import PaymentSettings
from smartpay_shared.events.envelope import Envelope
from smartpay_shared.testing import to_bus_event


def create_tables(dynamodb, settings: PaymentSettings) -> None:
    dynamodb.create_table(TableName=settings.payments_table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
                          StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    dynamodb.create_table(TableName=settings.idempotency_table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "idempotency_key", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "idempotency_key", "KeyType": "HASH"}])


def sqs_event(*envelopes: Envelope, receive_count: int = 1) -> dict:
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": "rh", "body": json.dumps(to_bus_event(e)),
        "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "0",
                       "SenderId": "x", "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:smartpay-payment", "awsRegion": "us-east-1",
    } for e in envelopes]}
