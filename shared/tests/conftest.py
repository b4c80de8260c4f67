import pytest

from smartpay_shared.events import Producer, new_envelope
from smartpay_shared.events.payloads import PaymentMethod, PaymentRequested


@pytest.fixture
def payment_requested():
    def make(payment_id: str = "pay_TEST0001", **overrides) -> PaymentRequested:
        fields = dict(
            payment_id=payment_id,
            merchant_id="m_acme",
            amount=1999,
            currency="EUR",
            payment_method=PaymentMethod(type="card", token="pm_card_visa", last4="4242"),
            customer_id="cus_1",
            country="DE",
        )
        fields.update(overrides)
        return PaymentRequested(**fields)

    return make


@pytest.fixture
def envelope(payment_requested):
    def make(payment_id: str = "pay_TEST0001", **kw):
        return new_envelope(
            payment_requested(payment_id),
            producer=Producer(service="payment", version="0.1.0"),
            correlation_id=payment_id,
            **kw,
        )

    return make
