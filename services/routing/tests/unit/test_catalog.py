"""Eligibility before learning: supported methods, currencies and regions, merchant rules, exclusions."""

import pytest

from smartpay_routing.domain.catalog import Catalog
from smartpay_routing.domain.errors import NoEligibleGateway, UnsupportedPayment


def names(gateways):
    return [g.name for g in gateways]


def test_card_in_euro_area_is_eligible_everywhere(catalog, ctx):
    assert names(catalog.eligible(ctx())) == ["stripe", "amazon_pay", "solana"]


def test_currency_a_gateway_lacks_removes_only_that_gateway(catalog, ctx):
    assert names(catalog.eligible(ctx(currency="GBP", country="GB"))) == ["stripe", "amazon_pay"]


def test_method_only_one_gateway_takes(catalog, ctx):
    assert names(catalog.eligible(ctx(method="solana_wallet", currency="USD", country="US"))) == ["solana"]


def test_no_eligible_gateway_names_every_gateways_reason(catalog, ctx):
    with pytest.raises(NoEligibleGateway) as e:
        catalog.eligible(ctx(method="solana_wallet", currency="GBP", country="GB"))
    assert e.value.reasons == {"stripe": "method solana_wallet not supported",
                               "amazon_pay": "method solana_wallet not supported",
                               "solana": "currency GBP not supported"}
    assert "no eligible gateway" in str(e.value)


@pytest.mark.parametrize("overrides, field", [
    ({"currency": "XYZ"}, "currency"),
    ({"country": "ZZ"}, "country"),
])
def test_input_no_gateway_supports_names_the_field(catalog, ctx, overrides, field):
    with pytest.raises(UnsupportedPayment) as e:
        catalog.eligible(ctx(**overrides))
    assert e.value.field == field
    assert overrides[field] in e.value.reason


def test_unknown_region_only_where_the_gateway_accepts_it(catalog, ctx):
    assert names(catalog.eligible(ctx(country=None))) == ["stripe"]


def test_excluded_gateways_are_not_eligible_and_all_excluded_is_an_error(catalog, ctx):
    assert names(catalog.eligible(ctx(), frozenset({"stripe"}))) == ["amazon_pay", "solana"]
    with pytest.raises(NoEligibleGateway) as e:
        catalog.eligible(ctx(), frozenset({"stripe", "amazon_pay", "solana"}))
    assert set(e.value.reasons.values()) == {"already tried for this payment"}


def test_merchant_deny_rule(catalog, ctx):
    assert names(catalog.eligible(ctx(merchant_id="m_no_crypto"))) == ["stripe", "amazon_pay"]


def test_fee_is_percent_plus_fixed_per_currency(catalog):
    stripe = catalog.gateways["stripe"]
    assert stripe.fee(10_000, "USD") == 290 + 30
    assert stripe.fee(10_000, "EUR") == 290 + 25
    assert stripe.fee(10_000, "CAD") == 290 + 30  # default fixed fee
    assert catalog.gateways["solana"].fee_fraction(10_000, "USD") == pytest.approx(151 / 10_000)


def test_rules_naming_unknown_gateways_are_rejected():
    raw = {"regions": {"NA": ["US"]}, "gateways": {"stripe": {
        "methods": ["card"], "currencies": ["USD"], "regions": ["NA"], "fee": {"percent": 1},
        "settlement": {"days": 1, "currency": "USD"}}}, "merchants": {"m": {"deny": ["paypal"]}}}
    with pytest.raises(ValueError, match="unknown gateways"):
        Catalog.from_dict(raw)


def test_only_gateways_the_method_holds_a_token_on_are_eligible(catalog, ctx):
    """A raw Stripe card token cannot be charged on Amazon Pay: routing must not spend an attempt there."""
    assert names(catalog.eligible(ctx(method_gateways=("stripe",)))) == ["stripe"]
    assert names(catalog.eligible(ctx(method_gateways=("stripe", "amazon_pay")))) == ["stripe", "amazon_pay"]
    assert names(catalog.eligible(ctx(method_gateways=None))) == ["stripe", "amazon_pay", "solana"]
    with pytest.raises(NoEligibleGateway) as e:
        catalog.eligible(ctx(method_gateways=("amazon_pay",)), frozenset({"amazon_pay"}))
    assert e.value.reasons["stripe"] == "the payment method holds no token on it"


def test_the_method_gateways_survive_the_stored_decision_context(ctx):
    from smartpay_routing.domain.model import RouteContext

    for gateways in (("stripe", "amazon_pay"), None):
        original = ctx(method_gateways=gateways)
        assert RouteContext.from_dict(original.to_dict()) == original
