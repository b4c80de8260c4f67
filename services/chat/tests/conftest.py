"""Payment snapshots as the payment service sends them: a card payment captured on its second gateway."""

from datetime import UTC, datetime, timedelta

import pytest

from smartpay_shared.events.payloads import PaymentSnapshot

from smartpay_chat.adapters import duckdb_shared
from smartpay_chat.adapters.duckdb_index import DuckDBPaymentIndex
from smartpay_chat.domain.document import build_document

T0 = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _reader_waits_for_each_publish(monkeypatch):
    """These tests read right after a write: the embedded index's reader waits for every publish it sees
    (MAX_LAG_SECONDS 0) instead of answering from the one before while its thread catches up. The lag the API
    runs with, and the thread, are tested in integration/test_duckdb_follower.py."""
    monkeypatch.setattr(duckdb_shared, "MAX_LAG_SECONDS", 0.0)


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


# A small hand-checked document set for the chat tests: five payments of m_acme, one of m_beta.
NOW = T0 + timedelta(hours=25)  # 2026-12-01 10:00 UTC


def chat_documents_list():
    one_try = [{"attempt": 1, "gateway": "stripe", "outcome": "captured", "latency_ms": 100.0}]
    return [
        build_document("m_acme", "pay_DOCSAAAA01", make_snapshot()),  # captured EUR 42.50 stripe (fell back)
        build_document("m_acme", "pay_DOCSAAAA02", make_snapshot(
            status="failed", amount=1000, captured_amount=0, created_at=T0 + timedelta(hours=1),
            completed_at=T0 + timedelta(hours=1, seconds=1), decline_code="card_declined",
            decline_reason="The card was declined",
            attempts=[{"attempt": 1, "gateway": "stripe", "outcome": "declined", "code": "card_declined"}])),
        build_document("m_acme", "pay_DOCSAAAA03", make_snapshot(
            status="declined", amount=990, currency="USD", captured_amount=0, attempts=[], gateway=None,
            fraud_decision="decline", fraud_score=0.97, decline_code="fraud_risk",
            decline_reason="Blocked by the fraud check", created_at=T0 + timedelta(hours=2),
            completed_at=T0 + timedelta(hours=2, milliseconds=80), timeline=[])),
        build_document("m_acme", "pay_DOCSAAAA04", make_snapshot(
            status="refunded", amount=2000, currency="USD", method="solana_wallet", card_last4=None,
            gateway="solana", attempts=[{"attempt": 1, "gateway": "solana", "outcome": "captured"}],
            captured_amount=2000, refunded_amount=2000, created_at=T0 - timedelta(days=1),
            completed_at=T0 - timedelta(days=1) + timedelta(seconds=2), timeline=[])),
        build_document("m_acme", "pay_DOCSAAAA05", make_snapshot(
            status="partially_refunded", amount=3000, captured_amount=3000, refunded_amount=1000,
            attempts=one_try, created_at=T0 + timedelta(hours=3), completed_at=T0 + timedelta(hours=3, seconds=1),
            timeline=[])),
        build_document("m_beta", "pay_DOCSBBBB01", make_snapshot(amount=99999, captured_amount=99999)),
    ]


@pytest.fixture
def chat_documents():
    return chat_documents_list()


@pytest.fixture
def index(chat_documents):
    """The sample documents in an in-memory DuckDB index (modules may override `index` with their own)."""
    duck = DuckDBPaymentIndex(":memory:")
    for doc in chat_documents:
        duck.upsert(doc)
    yield duck
    duck.close()


@pytest.fixture
def chat_now():
    return NOW


@pytest.fixture
def empty_index():
    """An empty in-memory DuckDB index (the indexer handlers' tests)."""
    duck = DuckDBPaymentIndex(":memory:")
    yield duck
    duck.close()
