"""The payment document built from a snapshot: exact amounts, glossary statuses, attempts, steps, latency."""

from datetime import timedelta
from decimal import Decimal

import pytest

from smartpay_chat.domain.currency import exponent, show, to_decimal
from smartpay_chat.domain.document import PaymentDocument, build_document
from smartpay_chat.domain.errors import CardNumberFound, InvalidPayment


def doc(snapshot, **overrides):
    return build_document("m_acme", "pay_DOC00001", snapshot(**overrides))


@pytest.mark.parametrize(("currency", "minor", "major", "exp"), [
    ("EUR", 4250, Decimal("42.50"), 2), ("JPY", 4250, Decimal("4250"), 0), ("BHD", 4250, Decimal("4.250"), 3),
    ("USDC", 4250, Decimal("0.004250"), 6), ("usd", 1, Decimal("0.01"), 2),
    ("SOL", 1_500_000_000, Decimal("1.500000000"), 9)])  # lamports, as the payment service counts SOL
def test_minor_units_become_exact_decimals(currency, minor, major, exp):
    assert exponent(currency) == exp
    assert to_decimal(minor, currency) == major and str(to_decimal(minor, currency)) == str(major)


@pytest.mark.parametrize(("currency", "minor", "shown"), [
    ("SOL", 0, "0.000000000"), ("SOL", 5, "0.000000005"), ("USDC", 0, "0.000000"), ("EUR", 0, "0.00"),
    ("JPY", 0, "0"), ("BHD", 60010, "60.010"), ("SOL", 1_500_000_000, "1.500000000")])
def test_amounts_are_shown_without_exponent_notation(currency, minor, shown):
    # heldout_g's refund total printed a zero SOL amount as "SOL 0E-9" (str() of Decimal 0 with 9 places)
    assert show(to_decimal(minor, currency)) == shown


def test_a_captured_card_payment_after_one_fallback(snapshot):
    d = doc(snapshot)
    assert (d.merchant_id, d.payment_id, d.version) == ("m_acme", "pay_DOC00001", 7)
    assert (d.status, d.approved, d.decline_stage) == ("captured", True, None)
    assert (d.amount_minor, d.amount, d.currency, d.currency_exponent) == (4250, Decimal("42.50"), "EUR", 2)
    assert (d.gateway, d.first_gateway, d.gateways_tried) == ("stripe", "amazon_pay", ("amazon_pay", "stripe"))
    assert (d.attempts_count, d.fallbacks, d.fell_back) == (2, 1, True)
    assert d.failure_codes == ("gateway_timeout",)
    assert [r.feature for r in d.fraud_reasons] == ["new_device", "velocity_1h", "country_mismatch"]
    assert d.routing_explanation.startswith("stripe:")
    assert (d.method, d.card_last4, d.country) == ("card", "4242", "DE")


def test_step_timestamps_come_from_the_timeline_first_entry_wins(snapshot, t0):
    d = doc(snapshot)
    assert d.steps["requested"] == t0
    assert d.steps["routed"] == t0 + timedelta(milliseconds=60)  # the first route, not the fallback's
    assert d.steps["captured"] == t0 + timedelta(milliseconds=3450)
    assert "refunded" not in d.steps and "rerouting" not in d.steps
    assert d.latency_ms == 3450.0
    assert [t.state for t in d.timeline][:2] == ["REQUESTED", "FRAUD_CHECKED"]
    record = d.to_record()
    assert record["routed_at"] == t0 + timedelta(milliseconds=60) and record["refunded_at"] is None


def test_unordered_attempts_and_timeline_are_sorted(snapshot, t0):
    base = snapshot()
    d = doc(snapshot, attempts=list(reversed([a.model_dump() for a in base.attempts])),
            timeline=list(reversed([t.model_dump() for t in base.timeline])))
    assert (d.first_gateway, d.gateway) == ("amazon_pay", "stripe")
    assert d.steps["routed"] == t0 + timedelta(milliseconds=60)


def test_fraud_decline_and_gateway_decline_use_the_glossary_statuses(snapshot, t0):
    fraud = doc(snapshot, status="declined", gateway=None, attempts=[], fraud_decision="decline", fraud_score=0.97,
                captured_amount=0, decline_code="fraud_high_risk", decline_reason="score above threshold")
    assert (fraud.status, fraud.saga_status, fraud.decline_stage, fraud.approved) == (
        "declined_fraud", "declined", "fraud", False)
    assert (fraud.gateway, fraud.first_gateway, fraud.attempts_count, fraud.fallbacks, fraud.fell_back) == (
        None, None, 0, 0, False)
    by_timeline = doc(snapshot, status="declined", captured_amount=0, fraud_decision="review",
                      timeline=[{"state": "REQUESTED", "at": t0}, {"state": "FRAUD_DECLINED", "at": t0}])
    assert (by_timeline.status, by_timeline.decline_stage) == ("declined_fraud", "fraud")
    issuer = doc(snapshot, status="declined", captured_amount=0, decline_code="card_declined",
                 attempts=[{"attempt": 1, "gateway": "stripe", "outcome": "declined", "code": "card_declined"}])
    assert (issuer.status, issuer.decline_stage, issuer.gateway, issuer.fell_back) == (
        "failed", "gateway", "stripe", False)
    assert "card_declined" in issuer.search_text


def test_a_refund_is_still_approved_and_carries_its_amounts(snapshot, t0):
    d = doc(snapshot, version=9, status="partially_refunded", refunded_amount=1000,
            timeline=[{"state": "REQUESTED", "at": t0},
                      {"state": "PARTIALLY_REFUNDED", "at": t0 + timedelta(hours=1)}])
    assert (d.status, d.approved) == ("partially_refunded", True)
    assert (d.refunded_amount_minor, d.refunded_amount, d.captured_amount) == (1000, Decimal("10.00"), Decimal("42.50"))
    assert d.steps["partially_refunded"] == t0 + timedelta(hours=1)


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"captured_amount": 5000}, "captured_amount 5000 exceeds amount"),
    ({"refunded_amount": 4251}, "refunded_amount 4251 exceeds captured_amount"),
    ({"completed_at": timedelta(seconds=-1)}, "completed_at is before created_at")])
def test_inconsistent_snapshots_are_refused(snapshot, t0, overrides, reason):
    overrides = {k: t0 + v if isinstance(v, timedelta) else v for k, v in overrides.items()}
    with pytest.raises(InvalidPayment, match=reason):
        doc(snapshot, **overrides)


def test_record_round_trip(snapshot):
    d = doc(snapshot)
    assert PaymentDocument.from_record(d.to_record()) == d


@pytest.mark.parametrize("field", ["decline_reason", "routing_explanation", "customer_id", "merchant_category"])
def test_a_card_number_anywhere_refuses_the_document(snapshot, field):
    with pytest.raises(CardNumberFound) as caught:
        doc(snapshot, **{field: "card 4242 4242 4242 4242"})
    assert caught.value.field == field
    assert "4242 4242" not in str(caught.value) and "4242424242424242" not in str(caught.value)


def test_a_card_number_in_nested_fields_is_found_by_path(snapshot, t0):
    with pytest.raises(CardNumberFound) as caught:
        doc(snapshot, timeline=[{"state": "REQUESTED", "at": t0, "detail": "pan=5555555555554444"}])
    assert caught.value.field == "timeline[0].detail"
    with pytest.raises(CardNumberFound, match=r"fraud_reasons\[0\]\.description"):
        doc(snapshot, fraud_reasons=[{"feature": "x", "contribution": 0.5, "description": "378282246310005"}])


def test_the_embedding_reads_the_search_text_without_its_figures(snapshot):
    # The routing probabilities differ per payment; the sentence embedding should not (its cache then answers).
    one = doc(snapshot, routing_explanation="contextual bandit chose stripe (p=0.831); probabilities: stripe 0.831, "
                                            "amazon_pay 0.169", decline_code="card_declined")
    two = doc(snapshot, routing_explanation="contextual bandit chose stripe (p=0.604); probabilities: stripe 0.604, "
                                            "amazon_pay 0.396", decline_code="card_declined")
    assert one.search_text != two.search_text and "0.831" in one.search_text  # BM25 keeps the figures
    assert one.embedding_text == two.embedding_text
    assert "card_declined" in one.embedding_text and "stripe" in one.embedding_text
    assert not any(ch.isdigit() for ch in one.embedding_text)
