"""Payment snapshots as the payment service sends them: a card payment captured on its second gateway."""

from datetime import UTC, datetime, timedelta

import pytest

from smartpay_shared.events.payloads import PaymentSnapshot

T0 = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)


def make_snapshot(**overrides) -> PaymentSnapshot:
    fields = dict(
        version=7, status="captured", amount=4250, currency="EUR", method="card", card_last4="4242",
        country="DE", merchant_category="retail", customer_id="cus_1", gateway="stripe",
        attempts=[{"attempt": 1, "gateway": "amazon_pay", "outcome": "timeout", "code": "gateway_timeout",
                   "latency_ms": 3000.0},
                  {"attempt": 2, "gateway": "stripe", "outcome": "captured", "latency_ms": 180.5}],
        fraud_score=0.12, fraud_decision="approve",
        fraud_reasons=[{"feature": "amount_z", "contribution": 0.02, "description": "amount near usual"},
                       {"feature": "new_device", "contribution": -0.30, "description": "known device"},
                       {"feature": "velocity_1h", "contribution": 0.10, "description": "3 payments in 1h"},
                       {"feature": "country_mismatch", "contribution": 0.05, "description": "IP in FR"}],
        routing_explanation="stripe: best expected approval for card EUR after amazon_pay timed out",
        captured_amount=4250, refunded_amount=0, created_at=T0,
        completed_at=T0 + timedelta(milliseconds=3450),
        timeline=[{"state": "REQUESTED", "at": T0},
                  {"state": "FRAUD_CHECKED", "at": T0 + timedelta(milliseconds=40)},
                  {"state": "ROUTED", "at": T0 + timedelta(milliseconds=60), "detail": "amazon_pay"},
                  {"state": "ROUTED", "at": T0 + timedelta(milliseconds=3100), "detail": "stripe"},
                  {"state": "AUTHORIZED", "at": T0 + timedelta(milliseconds=3300)},
                  {"state": "CAPTURED", "at": T0 + timedelta(milliseconds=3450)}],
    )
    fields.update(overrides)
    return PaymentSnapshot.model_validate(fields)


@pytest.fixture
def snapshot():
    return make_snapshot


@pytest.fixture
def t0():
    return T0
