"""Property-based tests (hypothesis) of money in minor units and of refunds, on the payment domain
model as it is: decimal strings round-trip for every currency exponent, sub-minor precision is
refused, and whatever sequence of refund requests and gateway answers arrives, the refunds of a
payment never exceed its capture and the ledger counts each gateway refund once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from smartpay_payment.domain import model as m, refunds, steps
from smartpay_payment.domain.money import exponent, from_decimal_string, to_decimal_string
from smartpay_shared.money import CURRENCY_EXPONENTS as _EXPONENTS
from smartpay_shared.events import payloads as p

FAST = settings(max_examples=200, deadline=None)
currencies = st.sampled_from(sorted(_EXPONENTS)) | st.from_regex(r"\A[A-Z]{3}\Z")
amounts = st.integers(min_value=0, max_value=10**15)


@FAST
@given(amounts, currencies)
def test_decimal_strings_round_trip(amount, currency):
    text = to_decimal_string(amount, currency)
    assert from_decimal_string(text, currency) == amount


@FAST
@given(amounts, currencies)
def test_a_decimal_string_has_exactly_the_currency_exponent(amount, currency):
    text = to_decimal_string(amount, currency)
    exp = exponent(currency)
    whole, _, fraction = text.partition(".")
    assert len(fraction) == exp and ("." in text) == (exp > 0)
    assert Decimal(text) * (10 ** exp) == amount


@FAST
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=9), currencies)
def test_sub_minor_precision_is_refused(amount, extra_digit, currency):
    exp = exponent(currency)
    text = f"{Decimal(amount).scaleb(-exp):.{exp}f}" + ("" if exp else ".") + str(extra_digit)
    with pytest.raises(ValueError):
        from_decimal_string(text, currency)


@FAST
@given(amounts, currencies)
def test_exponent_ignores_case(amount, currency):
    assert exponent(currency.lower()) == exponent(currency)
    assert to_decimal_string(amount, currency.lower()) == to_decimal_string(amount, currency)


def test_known_exponents():
    assert [exponent(c) for c in ("USD", "EUR", "JPY", "KWD", "SOL", "USDC")] == [2, 2, 0, 3, 9, 6]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["abc", "Infinity", "sNaN", ""]) | st.text(max_size=12))
def test_a_malformed_provider_amount_is_a_value_error(text):
    """Amazon Pay amounts are parsed with it: garbage from a provider must be one error type."""
    try:
        from_decimal_string(text, "USD")
    except ValueError:
        pass


# --- refunds ---------------------------------------------------------------------------------------

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def captured_payment(amount: int, currency: str = "USD") -> m.Payment:
    ids = {"payment_id": "pay_PROPERTY0001", "merchant_id": "m_prop"}
    request = p.PaymentRequested(**ids, amount=amount, currency=currency, customer_id="c_1",
                                 payment_method=p.PaymentMethod(type="card", token="pm_card_visa"))
    payment = steps.start(request, T0).after
    payment = steps.fraud_assessed(payment, p.FraudAssessed(
        **ids, score=0.1, decision="approve", model_version="m", threshold_version="t",
        payment=p.PaymentContext(amount=amount, currency=currency, method="card")), T0).after
    payment = steps.route_selected(payment, p.RouteSelected(**ids, attempt=1, gateway="stripe", propensity=1.0,
                                                         policy_version="v", explanation="only"), T0).after
    payment = steps.authorized(payment, "pi_1", None, T0).after
    return steps.captured(payment, None, T0).after


@FAST
@given(st.integers(min_value=1, max_value=10**9), st.lists(st.integers(min_value=-5, max_value=10**9), max_size=8))
def test_sequential_partial_refunds_never_exceed_the_capture(amount, asks):
    payment = captured_payment(amount)
    for i, ask in enumerate(asks):
        try:
            payment = refunds.refund_reserved(payment, ask, "prop", T0)[0].after
        except m.RefundRefused:
            assert ask <= 0 or ask > payment.refundable_amount
            continue
        number = payment.refunds[-1].number
        payment = refunds.refund_settled(payment, number, f"re_{i}", T0).after
        assert payment.refunded_amount <= payment.captured_amount
    assert payment.refunded_amount == sum(r.amount for r in payment.refunds)
    if payment.refunded_amount == payment.captured_amount and payment.refunds:
        assert payment.state == m.State.REFUNDED
    elif payment.refunds:
        assert payment.state == m.State.PARTIALLY_REFUNDED


class RefundLedger(RuleBasedStateMachine):
    """Refund requests reserved concurrently, answered by the gateway in any order, some refused."""

    pending = Bundle("pending")

    def __init__(self):
        super().__init__()
        self.payment = captured_payment(10_000)
        self.gateway_refunded = 0  # what the gateway really paid back
        self.clock = T0
        self.ids = 0

    def _tick(self):
        self.clock += timedelta(seconds=1)
        return self.clock

    @rule(target=pending, amount=st.none() | st.integers(min_value=1, max_value=12_000))
    def reserve(self, amount):
        try:
            transition, refund = refunds.refund_reserved(self.payment, amount, "prop", self._tick())
        except m.RefundRefused:
            return None
        self.payment = transition.after
        return refund

    @rule(refund=consumes(pending), accepted=st.booleans())
    def settle(self, refund, accepted):
        if refund is None:
            return
        self.ids += 1
        refund_id = f"re_{self.ids}" if accepted else None
        try:
            self.payment = refunds.refund_settled(self.payment, refund.number, refund_id, self._tick()).after
        except m.Stale:
            return
        if accepted:
            self.gateway_refunded += refund.amount

    @invariant()
    def never_more_than_the_capture(self):
        pending = sum(r.amount for r in self.payment.refunds if r.status == "pending")
        assert self.payment.refunded_amount + pending <= self.payment.captured_amount
        assert self.payment.refundable_amount >= 0

    @invariant()
    def each_gateway_refund_counted_once(self):
        assert self.payment.refunded_amount == self.gateway_refunded

    @invariant()
    def refund_numbers_are_unique(self):
        numbers = [r.number for r in self.payment.refunds]
        assert len(numbers) == len(set(numbers)), numbers


class RefundLedgerNoneRefused(RefundLedger):
    """The same with every refund accepted by the gateway (the path the bug above does not touch)."""

    @rule(refund=consumes(RefundLedger.pending))
    def settle(self, refund):
        super().settle(refund, True)


RefundLedgerNoneRefused.TestCase.settings = settings(max_examples=150, stateful_step_count=12, deadline=None,
                                                     suppress_health_check=[HealthCheck.too_slow])
test_refund_ledger_none_refused = RefundLedgerNoneRefused.TestCase

RefundLedger.TestCase.settings = settings(max_examples=150, stateful_step_count=12, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
# Found by this machine: refund_settled(None) used to drop a refused refund, so the next reservation
# reused its number (and its gateway reference). Fixed: a refused refund stays, with status "refused".
test_refund_ledger = RefundLedger.TestCase
