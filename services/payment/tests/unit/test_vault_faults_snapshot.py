"""Pure parts of the vault (one card across gateways), the per-payment fault directives, the token a
payment is charged with on each gateway, and the snapshot a terminal record carries."""

import pytest

from smartpay_payment.adapters.gateways.faults import FaultInjectingGateway, plan_from_directive
from smartpay_payment.domain.charges import GatewayError
from smartpay_payment.domain import model as m, steps
from smartpay_payment.domain.vault import InconsistentMethod, agree, new_vault_id
from smartpay_payment.testing import builders as b


def test_a_vault_id_never_holds_what_fraud_would_call_a_card_number():
    # a real draw fraud refused (its digits 6666309723650 pass Luhn), then an ordinary one
    draws = iter(["3a0cffcdc1014d73bae6666309723650", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"])
    from smartpay_shared import pan
    assert pan.contains_pan("pmv_3a0cffcdc1014d73bae6666309723650", in_words=True)
    assert new_vault_id(lambda: next(draws)) == "pmv_0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert not any(pan.contains_pan(new_vault_id(), in_words=True) for _ in range(3000))


def test_agree_merges_what_the_gateways_say_and_refuses_two_cards():
    merged = agree({"stripe": {"last4": "4242", "brand": "visa", "exp_month": 12, "exp_year": 2030},
                    "amazon_pay": {"last4": "4242", "brand": "Visa", "exp_month": None, "exp_year": None}})
    assert merged == {"last4": "4242", "brand": "visa", "exp_month": 12, "exp_year": 2030}
    with pytest.raises(InconsistentMethod, match="last4"):
        agree({"stripe": {"last4": "4242"}, "amazon_pay": {"last4": "1111"}})


@pytest.mark.parametrize("directive, gateway, attempt, fails", [
    ("stripe:5xx", "stripe", 1, "gateway_5xx"), ("stripe:5xx", "amazon_pay", 2, None),
    ("attempt1:timeout", "amazon_pay", 1, "timeout"), ("attempt1:timeout", "stripe", 2, None),
    ("amazon_pay:decline,stripe:5xx", "amazon_pay", 3, "card_declined")])
def test_fault_directives_match_gateway_or_attempt(directive, gateway, attempt, fails):
    plan = plan_from_directive(directive, gateway, attempt)
    if fails is None:
        assert plan is None
        return
    faulty = FaultInjectingGateway(Recorder(gateway), plan, sleep=lambda s: None)
    with pytest.raises(GatewayError) as e:
        faulty.authorize(None)
    assert e.value.code == fails
    assert faulty.capture("ref", 1, "r") == "captured"  # other operations pass through


def test_a_delay_directive_applies_to_its_operation_only():
    slept = []
    plan = plan_from_directive("stripe.capture:delay2500", "stripe", 1)
    faulty = FaultInjectingGateway(Recorder("stripe"), plan, sleep=slept.append)
    assert faulty.authorize(None) == "authorized" and slept == []
    assert faulty.capture("ref", 1, "r") == "captured" and slept == [2.5]


@pytest.mark.parametrize("bad", ["stripe", "stripe:boom", "stripe.charge:5xx", "stripe:delayx"])
def test_malformed_directives_are_refused(bad):
    with pytest.raises(ValueError):
        plan_from_directive(bad, "stripe", 1)


class Recorder:
    def __init__(self, name):
        self.name = name

    def authorize(self, request):
        return "authorized"

    def capture(self, *args):
        return "captured"


def _payment(**changes):
    payment = steps.start(b.requested(), b.NOW, {"stripe": "pm_1", "amazon_pay": "cp:B01-1"}).after
    return payment.model_copy(update=changes)


def test_each_attempt_is_charged_with_the_token_of_its_gateway():
    payment = _payment(tried_gateways=["stripe", "amazon_pay"], gateway="amazon_pay", attempt=2)
    assert payment.attempt_gateway(1) == "stripe" and payment.attempt_gateway() == "amazon_pay"
    assert payment.token_for("stripe") == "pm_1" and payment.token_for("amazon_pay") == "cp:B01-1"
    assert payment.token_for("solana") is None
    legacy = steps.start(b.requested(), b.NOW).after  # a record from before the vault: the method's token
    assert legacy.token_for("amazon_pay") == "pm_abc"


def test_a_skipped_attempt_names_no_gateway_so_routing_learns_nothing():
    payment = steps.route_selected(steps.fraud_assessed(_payment(), b.fraud(), b.NOW).after, b.route(gateway="solana"),
                               b.NOW).after
    t = steps.attempt_failed(payment, code="method_not_on_gateway", reason="no token", retriable=True, declined=False,
                         latency_ms=None, max_attempts=3, all_gateways={"stripe", "amazon_pay", "solana"},
                         now=b.NOW, attempted=False)
    failed = t.events[0]
    assert t.after.state == m.State.REROUTING and failed.gateway is None and failed.retriable
    assert t.events[1].excluded_gateways == ["solana"]
