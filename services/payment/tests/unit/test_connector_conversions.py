"""Provider conversions and error mapping (pure): Stripe errors, Amazon Pay amounts and reason codes,
Solana amounts and receipts, and the fault plans."""

import pytest
import stripe

from smartpay_payment.adapters.gateways import amazon_pay_conversions as amazon
from smartpay_payment.adapters.gateways import solana_conversions as sol
from smartpay_payment.adapters.gateways import stripe_conversions as conv
from smartpay_payment.adapters.gateways.faults import FaultPlan
from solders.pubkey import Pubkey


def test_stripe_card_errors_are_declines_with_the_decline_code():
    error = stripe.CardError("Your card has insufficient funds.", "payment_method", "card_declined",
                             json_body={"error": {"decline_code": "insufficient_funds", "code": "card_declined"}})
    mapped = conv.to_error(error, 12.0)
    assert (mapped.code, mapped.declined, mapped.retriable, mapped.gateway) == (
        "insufficient_funds", True, False, "stripe")


@pytest.mark.parametrize("error,code,retriable", [
    (stripe.APIConnectionError("boom"), "timeout", True),
    (stripe.RateLimitError("slow down"), "rate_limited", True),
    (stripe.APIError("oops", http_status=502), "gateway_5xx", True),
    (stripe.AuthenticationError("Invalid API Key provided: sk_live_abcdef"), "gateway_auth", False),
    (stripe.InvalidRequestError("No such payment_method", "payment_method", code="resource_missing",
                                http_status=400), "resource_missing", False),
])
def test_stripe_errors_map_to_one_error_type(error, code, retriable):
    mapped = conv.to_error(error, None)
    assert (mapped.code, mapped.retriable) == (code, retriable)
    assert "sk_live" not in str(mapped)  # a key quoted by the provider never reaches our logs


def test_amazon_pay_amounts_and_states():
    assert amazon.price(1999, "USD") == {"amount": "19.99", "currencyCode": "USD"}
    assert amazon.price(500, "JPY") == {"amount": "500", "currencyCode": "JPY"}
    charge = {"chargeId": "S01-1", "chargeAmount": {"amount": "19.99", "currencyCode": "USD"},
              "captureAmount": {"amount": "19.99", "currencyCode": "USD"},
              "refundedAmount": {"amount": "5.00", "currencyCode": "USD"},
              "statusDetails": {"state": "Captured"}}
    result = amazon.to_result(charge)
    assert (result.status, result.amount, result.captured_amount, result.refunded_amount) == (
        "partially_refunded", 1999, 1999, 500)


def test_amazon_pay_errors():
    assert amazon.http_error(503, {"reasonCode": "ServiceUnavailable"}, 1).retriable
    assert amazon.http_error(429, {}, 1).code == "rate_limited"
    assert not amazon.http_error(400, {"reasonCode": "InvalidParameterValue"}, 1).retriable
    hard = amazon.decline_error({"statusDetails": {"state": "Declined", "reasonCode": "HardDeclined"}}, 1)
    soft = amazon.decline_error({"statusDetails": {"state": "Declined", "reasonCode": "SoftDeclined"}}, 1)
    assert hard.declined and not hard.retriable and soft.retriable


def test_solana_amounts_and_receipts():
    assert sol.on_chain_amount(2_000_000, "SOL") == ("sol", 2_000_000)
    assert sol.on_chain_amount(1250, "USD") == ("token", 12_500_000)
    with pytest.raises(ValueError):
        sol.on_chain_amount(1, "EUR")
    operator = Pubkey.new_unique()
    assert sol.receipt_address(operator, "pay_a-1") == sol.receipt_address(operator, "pay_a-1")
    assert sol.receipt_address(operator, "pay_a-1") != sol.receipt_address(operator, "pay_a-2")
    assert len(sol.receipt_seed("pay_" + "x" * 40 + "-10")) == 32
    ix = sol.transfer_checked(Pubkey.new_unique(), Pubkey.new_unique(), Pubkey.new_unique(), operator, 5)
    assert bytes(ix.data) == bytes([12, 5, 0, 0, 0, 0, 0, 0, 0, 6])


def test_fault_plans():
    assert [FaultPlan(script=["timeout", "5xx"]).draw("authorize") for _ in range(1)] == ["timeout"]
    plan = FaultPlan(script=["timeout", "5xx", "ok"])
    assert [plan.draw("authorize") for _ in range(4)] == ["timeout", "5xx", "ok", "ok"]
    assert FaultPlan(timeout_rate=1.0).draw("refund") == "ok"  # only the listed operations fail
    seeded = FaultPlan(decline_rate=0.3, seed=7)
    draws = [seeded.draw("authorize") for _ in range(1000)]
    assert 200 < draws.count("decline") < 400 and set(draws) == {"ok", "decline"}
