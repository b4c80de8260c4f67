"""Property-based tests (hypothesis) of the connectors' response mapping (pure): whatever a Stripe
PaymentIntent (a real stripe SDK object), an Amazon Pay charge or a Solana account holds, the mapped
ChargeResult/GatewayError keeps our invariants: a status from our set, refunds only on a capture and
"refunded" exactly when all of it came back, amounts in minor units for every currency exponent,
one error type with a code, and no provider message quoting a key (where the provider may quote it)."""

from __future__ import annotations

import struct

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from solders.keypair import Keypair

from smartpay_payment.adapters.gateways import amazon_pay_conversions as amazon
from smartpay_payment.adapters.gateways import solana_conversions as sol
from smartpay_payment.adapters.gateways import stripe_conversions as conv
from smartpay_shared.money import CURRENCY_EXPONENTS as _EXPONENTS

FAST = settings(max_examples=200, deadline=None)
STATUSES = {"authorized", "captured", "voided", "failed", "refunded", "partially_refunded"}
STRIPE_STATES = ["requires_capture", "succeeded", "canceled", "requires_payment_method", "requires_action",
                 "processing", "requires_confirmation"]
minor = st.integers(min_value=1, max_value=10**12)


@st.composite
def intents(draw):
    amount = draw(minor)
    captured = draw(st.integers(min_value=1, max_value=amount))
    charge = draw(st.none() | st.just("ch_string_ref") | st.fixed_dictionaries({
        "id": st.just("ch_1"), "object": st.just("charge"), "amount": st.just(captured),
        "amount_refunded": st.integers(min_value=0, max_value=captured)}))
    values = {"id": "pi_" + draw(st.from_regex(r"\A[A-Za-z0-9]{8,24}\Z")), "object": "payment_intent",
              "status": draw(st.sampled_from(STRIPE_STATES)), "amount": amount, "latest_charge": charge}
    return stripe.PaymentIntent.construct_from(values, "sk_test_local")


@FAST
@given(intents())
def test_stripe_intents_map_to_our_statuses(intent):
    result = conv.to_result(intent, 5.0)
    charge = intent.latest_charge if not isinstance(intent.latest_charge, str) else None
    assert result.status in STATUSES
    assert result.gateway_reference == intent.id and result.amount == intent.amount
    if intent.status == "requires_capture":
        assert (result.status, result.captured_amount) == ("authorized", 0)
    elif intent.status == "succeeded":
        assert result.captured_amount == (charge["amount"] if charge else intent.amount)
        refunded = charge["amount_refunded"] if charge else 0
        expected = "captured" if not refunded else ("refunded" if refunded >= result.captured_amount
                                                   else "partially_refunded")
        assert (result.status, result.refunded_amount) == (expected, refunded)
    else:
        assert result.captured_amount == 0 and result.status in ("voided", "failed")


stripe_errors = st.sampled_from([
    lambda msg: stripe.CardError(msg, "payment_method", "card_declined",
                                 json_body={"error": {"decline_code": "insufficient_funds"}}),
    lambda msg: stripe.CardError(msg, "payment_method", "processing_error"),
    lambda msg: stripe.APIConnectionError(msg),
    lambda msg: stripe.RateLimitError(msg),
    lambda msg: stripe.AuthenticationError(msg),
    lambda msg: stripe.PermissionError(msg),
    lambda msg: stripe.APIError(msg, http_status=503),
    lambda msg: stripe.InvalidRequestError(msg, "amount", code="parameter_invalid_integer", http_status=400),
    lambda msg: stripe.IdempotencyError(msg, http_status=400),
])


@FAST
@given(stripe_errors, st.text(max_size=400), st.none() | st.floats(min_value=0, max_value=1e5))
def test_every_stripe_error_is_one_gateway_error(make, message, latency):
    error = make(f"{message} sk_live_SECRETKEY123")
    mapped = conv.to_error(error, latency)
    assert mapped.code and mapped.gateway == "stripe" and mapped.latency_ms == latency
    assert isinstance(mapped.retriable, bool) and isinstance(mapped.declined, bool)
    assert len(mapped.message) <= 300 or isinstance(error, stripe.CardError)
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError | stripe.APIConnectionError
                  | stripe.RateLimitError | stripe.APIError):
        assert "SECRETKEY" not in str(mapped)
    if mapped.declined:
        assert isinstance(error, stripe.CardError)


@st.composite
def amazon_charges(draw):
    currency = draw(st.sampled_from(sorted(_EXPONENTS)) | st.from_regex(r"\A[A-Z]{3}\Z"))
    amount = draw(minor)
    state = draw(st.sampled_from(["Authorized", "Captured", "Canceled", "Declined", "AuthorizationInitiated",
                                  "CaptureInitiated", "SomethingNew"]))
    charge = {"chargeId": "S01-" + draw(st.from_regex(r"\A[0-9]{7}\Z")),
              "chargeAmount": amazon.price(amount, currency), "statusDetails": {"state": state}}
    captured = draw(st.integers(min_value=0, max_value=amount))
    if captured:
        charge["captureAmount"] = amazon.price(captured, currency)
    refunded = draw(st.integers(min_value=0, max_value=captured))
    if refunded or draw(st.booleans()):
        charge["refundedAmount"] = amazon.price(refunded, currency)
    return charge, amount, captured, refunded


@FAST
@given(amazon_charges())
def test_amazon_pay_charges_map_back_to_the_minor_units_we_sent(example):
    charge, amount, captured, refunded = example
    result = amazon.to_result(charge)
    assert (result.amount, result.captured_amount, result.refunded_amount) == (amount, captured, refunded)
    assert result.status in STATUSES
    if charge["statusDetails"]["state"] == "Captured" and refunded:
        assert result.status == ("refunded" if refunded >= captured else "partially_refunded")


@FAST
@given(st.integers(min_value=100, max_value=599), st.dictionaries(st.sampled_from(["reasonCode", "message"]),
                                                                  st.text(max_size=500)))
def test_amazon_pay_http_errors_are_one_error_type(status, body):
    mapped = amazon.http_error(status, body, None)
    assert mapped.code and mapped.gateway == "amazon_pay" and len(mapped.message) <= 300
    assert mapped.retriable == (status >= 500 or status == 429)


@FAST
@given(minor)
def test_solana_amounts(amount):
    assert sol.on_chain_amount(amount, "SOL") == ("sol", amount)  # lamports are SOL's minor unit
    kind, units = sol.on_chain_amount(amount, "USD")
    assert kind == "token" and units == amount * 10 ** (sol.TOKEN_DECIMALS - 2)
    assert units // 10 ** (sol.TOKEN_DECIMALS - 2) == amount  # cents back, exactly


@FAST
@given(st.from_regex(r"\A[A-Z]{3}\Z").filter(lambda c: c not in ("SOL", "USD")))
def test_solana_refuses_other_currencies(currency):
    with pytest.raises(ValueError):
        sol.on_chain_amount(100, currency)


OPERATOR = Keypair.from_seed(bytes(32)).pubkey()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=80), min_size=2, max_size=5, unique=True))
def test_solana_receipts_are_deterministic_and_distinct(references):
    seeds = [sol.receipt_seed(r) for r in references]
    assert all(len(s) == 32 for s in seeds) and len(set(seeds)) == len(seeds)
    assert [sol.receipt_address(OPERATOR, r) for r in references] == [
        sol.receipt_address(OPERATOR, r) for r in references]


@FAST
@given(st.integers(min_value=0, max_value=2**64 - 1), st.binary(min_size=64, max_size=64),
       st.binary(max_size=100))
def test_solana_token_balance_reads_the_spl_amount(units, head, tail):
    assert sol.token_balance(head + struct.pack("<Q", units) + tail) == units
