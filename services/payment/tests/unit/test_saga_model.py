"""The saga's pure transitions: states, emitted events, duplicates and out-of-order events."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_payment.domain import model as m, refunds, steps
from smartpay_payment.domain.money import from_decimal_string, to_decimal_string
from smartpay_shared.events import payloads as p

from smartpay_payment.testing.builders import NOW, fraud, requested, route

GATEWAYS = {"stripe", "amazon_pay", "solana"}


def kinds(transition):
    return [type(e).__name__ for e in transition.events]


def captured_payment():
    t = steps.start(requested(), NOW)
    t = steps.fraud_assessed(t.after, fraud(), NOW)
    t = steps.route_selected(t.after, route(), NOW)
    t = steps.authorized(t.after, "pi_1", 10.0, NOW)
    return steps.captured(t.after, 12.0, NOW)


def test_happy_path_reaches_indexed_with_a_snapshot():
    t = captured_payment()
    assert t.after.state == m.State.CAPTURED and t.after.captured_amount == 1250
    assert kinds(t) == ["PaymentCaptured", "PaymentCompleted"]
    snap = t.events[1].payment
    assert (snap.status, snap.card_last4, snap.gateway, snap.captured_amount) == ("captured", "4242", "stripe", 1250)
    assert [e.state for e in snap.timeline] == ["REQUESTED", "FRAUD_CHECKED", "ROUTED", "AUTHORIZED", "CAPTURED"]
    done = steps.indexed(t.after, p.PaymentIndexed(payment_id=t.after.payment_id, merchant_id="m_acme", index="i",
                                               document_version=t.after.version), NOW)
    assert done.after.state == m.State.INDEXED and done.after.version == t.after.version + 1


def test_every_transition_bumps_the_version_once():
    t = steps.start(requested(), NOW)
    versions = [t.after.version]
    for step in (lambda x: steps.fraud_assessed(x, fraud(), NOW), lambda x: steps.route_selected(x, route(), NOW),
                 lambda x: steps.authorized(x, "ref", None, NOW), lambda x: steps.captured(x, None, NOW)):
        t = step(t.after)
        versions.append(t.after.version)
    assert versions == [1, 2, 3, 4, 5]


def test_fraud_decline_is_terminal_with_declined_and_completed():
    t = steps.fraud_assessed(steps.start(requested(), NOW).after, fraud("decline", 0.97), NOW)
    assert t.after.state == m.State.FRAUD_DECLINED
    assert kinds(t) == ["PaymentDeclined", "PaymentCompleted"]
    assert t.events[0].stage == "fraud" and t.events[1].status == "declined"


def test_duplicate_fraud_result_and_stale_route_are_no_ops():
    checked = steps.fraud_assessed(steps.start(requested(), NOW).after, fraud(), NOW).after
    with pytest.raises(m.Stale):
        steps.fraud_assessed(checked, fraud(), NOW)
    with pytest.raises(m.Stale):
        steps.route_selected(checked, route(attempt=2), NOW)
    routed = steps.route_selected(checked, route(), NOW).after
    with pytest.raises(m.Stale):
        steps.route_selected(routed, route(), NOW)


def test_a_route_before_the_fraud_result_is_kept_and_applied_with_it():
    requested_payment = steps.start(requested(), NOW).after
    kept = steps.route_selected(requested_payment, route(), NOW)
    assert kept.after.state == m.State.REQUESTED and kept.after.early_route == route() and kept.events == []
    assert kept.after.version == requested_payment.version + 1 and kept.after.timeline == requested_payment.timeline
    with pytest.raises(m.Stale):  # the same route delivered again while it waits
        steps.route_selected(kept.after, route(), NOW)
    claim = m.ChargeClaim(owner="d1", until=NOW)
    t = steps.fraud_assessed(kept.after, fraud(), NOW, claim)
    assert t.after.state == m.State.ROUTED and t.after.gateway == "stripe" and t.after.charge_claim == claim
    assert [e.state for e in t.after.timeline] == ["REQUESTED", "FRAUD_CHECKED", "ROUTED"] and t.events == []


def test_a_kept_route_is_dropped_when_fraud_declines():
    kept = steps.route_selected(steps.start(requested(), NOW).after, route(), NOW).after
    t = steps.fraud_assessed(kept, fraud("decline", 0.97), NOW, m.ChargeClaim(owner="d1", until=NOW))
    assert t.after.state == m.State.FRAUD_DECLINED and t.after.charge_claim is None and t.after.gateway is None


def test_retriable_failure_asks_for_the_next_gateway_excluding_tried_ones():
    routed = steps.route_selected(steps.fraud_assessed(steps.start(requested(), NOW).after, fraud(), NOW).after, route(), NOW).after
    t = steps.attempt_failed(routed, code="gateway_5xx", reason="502", retriable=True, declined=False, latency_ms=5,
                         max_attempts=3, all_gateways=GATEWAYS, now=NOW)
    assert t.after.state == m.State.REROUTING and t.after.attempt == 2
    assert kinds(t) == ["PaymentFailed", "RouteRequested"]
    assert t.events[0].retriable and t.events[1].excluded_gateways == ["stripe"] and t.events[1].attempt == 2
    second = steps.route_selected(t.after, route(attempt=2, gateway="solana"), NOW).after
    assert second.tried_gateways == ["stripe", "solana"] and second.reference() == "pay_unit0000001-2"


def test_attempts_are_bounded():
    payment = steps.route_selected(steps.fraud_assessed(steps.start(requested(), NOW).after, fraud(), NOW).after, route(),
                               NOW).after
    t = steps.attempt_failed(payment, code="timeout", reason="t", retriable=True, declined=False, latency_ms=None,
                         max_attempts=1, all_gateways=GATEWAYS, now=NOW)
    assert t.after.state == m.State.FAILED
    assert kinds(t) == ["PaymentFailed", "PaymentCompleted"] and t.events[1].status == "failed"
    assert t.after.attempts[-1].outcome == "timeout"


def test_gateway_decline_is_final():
    payment = steps.route_selected(steps.fraud_assessed(steps.start(requested(), NOW).after, fraud(), NOW).after, route(),
                               NOW).after
    t = steps.attempt_failed(payment, code="card_declined", reason="no", retriable=False, declined=True,
                         latency_ms=3, max_attempts=3, all_gateways=GATEWAYS, now=NOW)
    assert t.after.state == m.State.DECLINED
    assert kinds(t) == ["PaymentFailed", "PaymentDeclined", "PaymentCompleted"]


def test_route_unavailable_fails_the_current_attempt_only():
    checked = steps.fraud_assessed(steps.start(requested(), NOW).after, fraud(), NOW).after
    with pytest.raises(m.Stale):
        steps.saga_failed(checked, code="all_gateways_tried", reason="x", now=NOW, attempt=2)
    t = steps.saga_failed(checked, code="no_eligible_gateway", reason="x", now=NOW, attempt=1)
    assert t.after.state == m.State.FAILED
    with pytest.raises(m.Stale):
        steps.saga_failed(t.after, code="again", reason="x", now=NOW)


def test_full_and_partial_refunds():
    payment = captured_payment().after
    reserve, refund = refunds.refund_reserved(payment, 250, "partial", NOW)
    t = refunds.refund_settled(reserve.after, refund.number, "re_1", NOW)
    assert t.after.state == m.State.PARTIALLY_REFUNDED and kinds(t) == ["PaymentRefunded"]
    assert t.events[0].total_refunded == 250
    with pytest.raises(m.RefundRefused):
        refunds.refund_reserved(t.after, 1001, "too much", NOW)
    reserve, refund = refunds.refund_reserved(t.after, None, "rest", NOW)
    assert refund.amount == 1000
    t = refunds.refund_settled(reserve.after, refund.number, "re_2", NOW)
    assert t.after.state == m.State.REFUNDED and kinds(t) == ["PaymentRefunded", "PaymentCompleted"]
    with pytest.raises(m.Stale):
        refunds.refund_settled(t.after, refund.number, "re_2", NOW)


def test_a_refused_refund_releases_its_reservation():
    payment = captured_payment().after
    reserve, refund = refunds.refund_reserved(payment, 1250, "x", NOW)
    assert reserve.after.refundable_amount == 0
    released = refunds.refund_settled(reserve.after, refund.number, None, NOW).after
    assert released.refundable_amount == 1250 and released.state == m.State.CAPTURED


def test_late_capture_on_failed_saga_is_compensated():
    checked = steps.fraud_assessed(steps.start(requested(), NOW).after, fraud(), NOW).after
    failed = steps.saga_failed(checked, code="saga_timeout", reason="deadline", now=NOW).after
    t, refund = refunds.late_capture_found(failed, "stripe", "pi_9", 1250, NOW)
    settled = refunds.refund_settled(t.after, refund.number, "re_9", NOW)
    assert settled.after.state == m.State.FAILED
    assert (settled.after.captured_amount, settled.after.refunded_amount) == (1250, 1250)
    with pytest.raises(m.Stale):
        refunds.late_capture_found(settled.after, "stripe", "pi_9", 1250, NOW)


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.integers(min_value=1, max_value=2000), min_size=1, max_size=12))
def test_refunds_never_exceed_the_capture(amounts):
    payment = captured_payment().after
    for amount in amounts:
        try:
            reserve, refund = refunds.refund_reserved(payment, amount, "r", NOW)
        except m.RefundRefused:
            continue
        payment = refunds.refund_settled(reserve.after, refund.number, f"re_{refund.number}", NOW).after
    assert 0 <= payment.refunded_amount <= payment.captured_amount
    assert (payment.state == m.State.REFUNDED) == (payment.refunded_amount == payment.captured_amount)


@settings(database=None)  # no .hypothesis/ directory in the work tree
@given(st.integers(min_value=1, max_value=10**12), st.sampled_from(["USD", "JPY", "KWD", "EUR"]))
def test_decimal_strings_round_trip(amount, currency):
    assert from_decimal_string(to_decimal_string(amount, currency), currency) == amount


def test_decimal_exponents():
    assert to_decimal_string(1234, "USD") == "12.34"
    assert to_decimal_string(1234, "JPY") == "1234"
    with pytest.raises(ValueError):
        from_decimal_string("1.234", "USD")


def test_the_methods_gateways_go_to_fraud_and_routing():
    """payment.requested names where the method holds a token (fraud passes it on in fraud.assessed), and so
    does the context of a fallback's route.requested: routing never spends an attempt on another gateway."""
    vaulted = steps.start(requested(), NOW, {"stripe": "pm_1", "amazon_pay": "amz_1"})
    assert vaulted.events[0].method_gateways == ["amazon_pay", "stripe"]
    assert vaulted.after.context().gateways == ["amazon_pay", "stripe"]
    raw = steps.start(requested(), NOW, {"stripe": "pm_1"})
    assert raw.events[0].method_gateways == ["stripe"] and raw.after.context().gateways == ["stripe"]
    unknown = steps.start(requested(), NOW)  # no tokens known (a saga started elsewhere without them)
    assert unknown.events[0].method_gateways is None and unknown.after.context().gateways is None


def test_the_transitions_answer_under_their_earlier_home_too():
    assert (m.start, m.fraud_assessed, m.refund_settled) == (steps.start, steps.fraud_assessed, refunds.refund_settled)
    with pytest.raises(AttributeError):
        m.no_such_step  # noqa: B018
