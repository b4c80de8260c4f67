"""bench/outcomes.py: what reconcile's findings mean for the customer (read from findings produced by the
real `reconcile.assess` and `ReconcileReport.to_json`, so a change of reconcile's wording breaks these
tests rather than silently turning a double charge into a harmless hold; the charge's status is reconcile's
own charge_status field, not read from the wording), the saga span from a payment's
own timeline, percentiles, and refund rows that say settled or pending."""

import statistics
import sys
from datetime import timedelta

import pytest

from smartpay_payment.domain import model as m
from smartpay_payment.service_layer.reconcile import GatewayCharge, ReconcileReport, assess
from smartpay_payment.testing import builders as b
from smartpay_shared.manifest import repo_root

if str(repo_root()) not in sys.path:  # the repo's bench package is not installed in the venv
    sys.path.insert(0, str(repo_root()))

from bench import outcomes as o  # noqa: E402

PID = "pay_unit0000001"
LATER = b.NOW + timedelta(hours=1)


def payment(state: m.State, **changes) -> m.Payment:
    base = m.start(b.requested(), b.NOW).after
    return base.model_copy(update={"state": state, **changes})


def charge(attempt: int, status: str, gateway="stripe", captured=0, refunded=0, ref=None) -> GatewayCharge:
    return GatewayCharge(gateway, f"{PID}-{attempt}", ref or f"{gateway}_{attempt}", status, 1250, captured, refunded)


def findings(p: m.Payment | None, charges: list[GatewayCharge], **fix) -> list[dict]:
    """What `reconcile --json` writes for these records: the real assess(), serialised as to_json does."""
    in_flight, found = assess(p, charges, deadline_at=b.NOW.timestamp(), now=LATER, grace=timedelta(seconds=60))
    assert not in_flight
    for f in found:
        f.fixed = fix.get("fixed", False)
        f.fix = fix.get("fix")
    return ReconcileReport(checked=1, findings=found).to_json()["findings"]


def captured_on_amazon(state=m.State.INDEXED, refunded=0, **changes) -> tuple[m.Payment, GatewayCharge]:
    """A payment that fell back from Stripe (attempt 1) to Amazon Pay (attempt 2) and captured there."""
    refunds = [m.Refund(number=1, amount=1250, status="succeeded", refund_id="r1")] if refunded else []
    p = payment(state, attempt=2, gateway="amazon_pay", tried_gateways=["stripe", "amazon_pay"],
                gateway_reference="amzn_2", captured_amount=1250, refunds=refunds, **changes)
    return p, charge(2, "refunded" if refunded else "captured", "amazon_pay", 1250, refunded, "amzn_2")


def test_a_hold_left_on_a_failed_attempt_and_voided_took_no_money_and_passes():
    p, own = captured_on_amazon()
    [f] = findings(p, [own, charge(1, "authorized")], fixed=True, fix="voided authorization stripe_1")
    assert f["kind"] == "orphan_charge"
    v = o.classify(f)
    assert v.category == o.VOIDED_HOLD and not v.money_taken and not v.fails and v.payment_id == PID


def test_the_same_hold_not_voided_fails():
    p, own = captured_on_amazon()
    [f] = findings(p, [own, charge(1, "authorized")])
    v = o.classify(f)
    assert v.category == o.OPEN_HOLD and not v.money_taken and v.fails


def test_a_second_capture_is_a_double_charge_even_once_fix_refunded_it():
    p, own = captured_on_amazon()
    [f] = findings(p, [own, charge(1, "captured", captured=1250)], fixed=True,
                   fix="refunded 1250 of stripe_1 (refund re_1, recorded)")
    assert f["kind"] == "double_charged"
    v = o.classify(f)
    assert v.category == o.DOUBLE_CHARGE and v.money_taken and v.fails and v.fixed and v.amount == 1250


def test_a_captured_orphan_beside_a_refunded_capture_is_still_a_double_charge():
    # The payment's own capture was refunded by the merchant, so reconcile calls the other capture an
    # orphan (not double_charged): the customer still paid twice.
    p, own = captured_on_amazon(m.State.REFUNDED, refunded=1250)
    [f] = findings(p, [own, charge(1, "captured", captured=1250)], fixed=True, fix="refunded 1250 of stripe_1")
    assert f["kind"] == "orphan_charge"
    v = o.classify(f)
    assert v.category == o.DOUBLE_CHARGE and v.money_taken and v.fails


def test_money_captured_for_a_failed_payment_fails():
    p = payment(m.State.FAILED, tried_gateways=["stripe"], gateway="stripe", decline_code="gateway_timeout")
    [f] = findings(p, [charge(1, "captured", captured=1250)], fixed=True, fix="refunded 1250 of stripe_1")
    v = o.classify(f)
    assert v.category == o.CHARGED_FOR_FAILED and v.money_taken and v.fails


def test_an_own_hold_left_open_voided_passes_but_captured_before_the_void_fails():
    p = payment(m.State.FAILED, tried_gateways=["stripe"], gateway="stripe", gateway_reference="stripe_1")
    [f] = findings(p, [charge(1, "authorized")], fixed=True, fix="voided authorization stripe_1")
    assert f["detail"].startswith("authorization left open")
    assert o.classify(f).category == o.VOIDED_HOLD
    # reconcile tried the void, the gateway had captured meanwhile, so it refunded: money was taken
    [f] = findings(p, [charge(1, "authorized")], fixed=True, fix="refunded 1250 of stripe_1 (refund re_9, recorded)")
    v = o.classify(f)
    assert v.category == o.CHARGED_FOR_FAILED and v.money_taken and v.fails


def test_charges_of_a_payment_the_table_lacks():
    [hold] = findings(None, [charge(1, "authorized")], fixed=True, fix="voided authorization stripe_1 (no payment record)")
    assert o.classify(hold).category == o.VOIDED_HOLD
    [capture] = findings(None, [charge(1, "captured", captured=1250)], fixed=True, fix="refunded 1250 of stripe_1")
    v = o.classify(capture)
    assert v.category == o.CHARGE_WITHOUT_PAYMENT and v.fails


def test_lost_and_mismatch_fail():
    lost = findings(payment(m.State.FRAUD_CHECKED), [])
    assert [o.classify(f).category for f in lost] == [o.LOST]
    p, own = captured_on_amazon()
    mismatch = findings(p, [charge(2, "partially_refunded", "amazon_pay", 1250, 400, "amzn_2")])
    assert [o.classify(f).category for f in mismatch] == [o.AMOUNT_MISMATCH]
    assert all(o.classify(f).fails for f in lost + mismatch)


def test_a_charge_finding_without_its_status_is_never_called_harmless():
    v = o.classify({"payment_id": PID, "kind": "orphan_charge", "detail": "something new", "state": "INDEXED",
                    "fixed": True, "fix": "voided authorization x"})
    assert v.category == o.UNREADABLE and v.fails and v.money_taken


def test_the_status_comes_from_reconciles_field_not_its_wording():
    p, own = captured_on_amazon()
    [f] = findings(p, [own, charge(1, "authorized")], fixed=True, fix="voided authorization stripe_1")
    assert f["charge_status"] == "authorized"
    reworded = {**f, "detail": "captured somewhere (new wording)"}
    assert o.classify(reworded).category == o.VOIDED_HOLD
    assert o.classify({**f, "charge_status": "captured", "fix": None}).category == o.DOUBLE_CHARGE


def test_classify_all_and_counts():
    p, own = captured_on_amazon()
    report = {"findings": findings(p, [own, charge(1, "authorized")], fixed=True, fix="voided authorization stripe_1")
              + findings(payment(m.State.FRAUD_CHECKED), [])}
    verdicts = o.classify_all(report)
    assert o.count_categories(verdicts) == {o.LOST: 1, o.VOIDED_HOLD: 1}
    assert [v.fails for v in verdicts] == [False, True]


def at(seconds: float) -> str:
    return (b.NOW + timedelta(seconds=seconds)).isoformat()


def test_the_saga_span_ends_at_the_index_not_at_a_later_refund():
    view = {"timeline": [{"state": "REQUESTED", "at": at(0)}, {"state": "ROUTED", "at": at(0.2)},
                         {"state": "CAPTURED", "at": at(0.5)}, {"state": "INDEXED", "at": at(0.75)},
                         {"state": "REFUNDED", "at": at(30)}]}
    assert o.saga_ms(view) == pytest.approx(750)


def test_a_captured_payment_not_yet_indexed_has_not_ended_and_a_decline_has():
    assert o.saga_ms({"timeline": [{"state": "REQUESTED", "at": at(0)}, {"state": "CAPTURED", "at": at(1)}]}) is None
    assert o.saga_ms({"timeline": [{"state": "REQUESTED", "at": at(0)},
                                   {"state": "FRAUD_DECLINED", "at": at(0.3)}]}) == pytest.approx(300)
    assert o.saga_ms({}) is None


def test_percentile_is_the_inclusive_linear_one():
    values = [float(v) for v in (5, 1, 9, 3, 7, 100, 2, 8)]
    q = statistics.quantiles(values, n=100, method="inclusive")
    assert o.percentile(values, 99) == pytest.approx(q[98])
    assert o.percentile(values, 50) == pytest.approx(statistics.median(values))
    assert o.percentile([42.0], 99) == 42.0
    assert o.latency_summary([]) is None
    assert o.latency_summary([10.0, 20.0, 30.0]) == {"n": 3, "p50_ms": 20.0, "p99_ms": 29.8, "max_ms": 30.0}


def test_refund_rows_say_pending_and_leave_out_compensations():
    view = {"payment_id": PID, "status": "indexed", "refunds": [
        {"number": 1, "amount": 400, "status": "succeeded", "compensation": False},
        {"number": 2, "amount": 300, "status": "pending", "compensation": False},
        {"number": 3, "amount": 1250, "status": "succeeded", "compensation": True}]}
    rows = o.refund_rows(view, "full -> HTTP 202")
    assert [(r.number, r.status, r.final) for r in rows] == [(1, "succeeded", True), (2, "pending", False)]
    assert "PENDING" in rows[1].shown and "not final" in rows[1].shown
    assert o.pending_refunds(view) == 1
    [none] = o.refund_rows({"payment_id": PID, "refunds": []}, "300 -> HTTP 409")
    assert none.status == "not recorded" and none.final
