"""Catalog event builders for tests (one payment, one merchant)."""

from datetime import UTC, datetime


from smartpay_shared.events import payloads as p
from smartpay_shared.events.envelope import Producer, new_envelope

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def requested(**overrides) -> p.PaymentRequested:
    fields = dict(payment_id="pay_unit0000001", merchant_id="m_acme", amount=1250, currency="USD",
                  payment_method=p.PaymentMethod(type="card", token="pm_abc", last4="4242", brand="visa"),
                  customer_id="c_1", country="US")
    fields.update(overrides)
    return p.PaymentRequested(**fields)


def fraud(decision="approve", score=0.1) -> p.FraudAssessed:
    return p.FraudAssessed(payment_id="pay_unit0000001", merchant_id="m_acme", score=score, decision=decision,
                           model_version="m1", threshold_version="t1",
                           reasons=[p.FraudReason(feature="velocity", contribution=0.5, description="many tries")],
                           payment=p.PaymentContext(amount=1250, currency="USD", method="card"))


def route(attempt=1, gateway="stripe") -> p.RouteSelected:
    return p.RouteSelected(payment_id="pay_unit0000001", merchant_id="m_acme", attempt=attempt, gateway=gateway,
                           propensity=0.5, policy_version="v1", explanation="cheapest")




def capture(service, payment_id: str) -> dict:
    """Drive a requested payment of m_acme through fraud and routing to captured (a PaymentService over fakes or
    the real stack); the payment as GET /payments/{id} shows it."""
    for data in (fraud(), route()):
        data = data.model_copy(update={"payment_id": payment_id})
        service.saga.handle(new_envelope(data, producer=Producer(service="routing", version="0.1.0"),
                                         correlation_id=payment_id))
    return service.get("m_acme", payment_id)
