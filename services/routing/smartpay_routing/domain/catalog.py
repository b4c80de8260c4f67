"""The gateway catalog and eligibility: which gateways may take a payment, decided before any learning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from smartpay_routing.domain.errors import NoEligibleGateway, UnsupportedPayment
from smartpay_routing.domain.model import RouteContext

UNKNOWN_REGION = "unknown"


@dataclass(frozen=True)
class Gateway:
    name: str
    methods: frozenset[str]
    currencies: frozenset[str]
    regions: frozenset[str]
    fee_percent: float
    fee_fixed: Mapping[str, int]
    settlement_days: int
    settlement_currency: str
    typical_latency_ms: float
    accepts_unknown_region: bool = False

    def fee(self, amount: int, currency: str) -> int:
        """Fee in minor units of the payment currency."""
        fixed = self.fee_fixed.get(currency, self.fee_fixed.get("default", 0))
        return round(amount * self.fee_percent / 100.0) + fixed

    def fee_fraction(self, amount: int, currency: str) -> float:
        return self.fee(amount, currency) / amount

    def why_not(self, method: str, currency: str, region: str) -> str | None:
        if method not in self.methods:
            return f"method {method} not supported"
        if currency not in self.currencies:
            return f"currency {currency} not supported"
        if region == UNKNOWN_REGION and not self.accepts_unknown_region:
            return "payment has no country and the gateway requires one"
        if region != UNKNOWN_REGION and region not in self.regions:
            return f"region {region} not served"
        return None


@dataclass(frozen=True)
class MerchantRules:
    deny: frozenset[str] = frozenset()
    pin: str | None = None
    split: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    version: str
    gateways: Mapping[str, Gateway]
    country_region: Mapping[str, str]
    merchants: Mapping[str, MerchantRules]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Catalog:
        country_region = {c: region for region, countries in raw["regions"].items() for c in countries}
        gateways = {
            name: Gateway(
                name=name, methods=frozenset(g["methods"]), currencies=frozenset(g["currencies"]),
                regions=frozenset(g["regions"]), fee_percent=float(g["fee"]["percent"]),
                fee_fixed=dict(g["fee"].get("fixed", {})), settlement_days=int(g["settlement"]["days"]),
                settlement_currency=g["settlement"]["currency"],
                typical_latency_ms=float(g.get("typical_latency_ms", 500)),
                accepts_unknown_region=bool(g.get("accepts_unknown_region", False)))
            for name, g in raw["gateways"].items()
        }
        merchants = {}
        for merchant, rules in (raw.get("merchants") or {}).items():
            named = set(rules.get("deny", [])) | set(rules.get("split", {})) | ({rules.get("pin")} - {None})
            unknown = named - set(gateways)
            if unknown:
                raise ValueError(f"merchant {merchant} rules name unknown gateways {sorted(unknown)}")
            split = {g: float(w) for g, w in (rules.get("split") or {}).items()}
            if split and (any(w < 0 for w in split.values()) or sum(split.values()) <= 0):
                raise ValueError(f"merchant {merchant} split weights must be >= 0 with a positive sum")
            merchants[merchant] = MerchantRules(frozenset(rules.get("deny", [])), rules.get("pin"), split)
        return cls(str(raw.get("version", "0")), gateways, country_region, merchants)

    def region(self, country: str | None) -> str:
        if country is None:
            return UNKNOWN_REGION
        return self.country_region.get(country, "other")

    def rules_for(self, merchant_id: str) -> MerchantRules:
        return self.merchants.get(merchant_id, MerchantRules())

    def check_supported(self, ctx: RouteContext) -> None:
        """Reject input no gateway could ever take, naming the field (the API turns this into a 422)."""
        if not any(ctx.method in g.methods for g in self.gateways.values()):
            raise UnsupportedPayment("payment_method", f"payment method {ctx.method} is not supported by any gateway")
        if not any(ctx.currency in g.currencies for g in self.gateways.values()):
            raise UnsupportedPayment("currency", f"currency {ctx.currency} is not supported by any gateway")
        region = self.region(ctx.country)
        if region == "other":
            raise UnsupportedPayment("country", f"country {ctx.country} is in no region a gateway serves")

    def eligible(self, ctx: RouteContext, excluded: frozenset[str] = frozenset()) -> list[Gateway]:
        """Gateways that can take this payment for this merchant; raises with every gateway's reason if none."""
        self.check_supported(ctx)
        region = self.region(ctx.country)
        rules = self.rules_for(ctx.merchant_id)
        reasons: dict[str, str] = {}
        eligible = []
        for name, gateway in self.gateways.items():
            reason = gateway.why_not(ctx.method, ctx.currency, region)
            if reason is None and ctx.method_gateways is not None and name not in ctx.method_gateways:
                reason = "the payment method holds no token on it"
            if reason is None and name in rules.deny:
                reason = "denied by merchant rule"
            if reason is None and name in excluded:
                reason = "already tried for this payment"
            if reason:
                reasons[name] = reason
            else:
                eligible.append(gateway)
        if not eligible:
            raise NoEligibleGateway(reasons)
        return eligible
