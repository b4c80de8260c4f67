"""Simulated gateways: context-dependent approval (logistic), catalog fees, lognormal latencies, slow drift
of each gateway's base approval, and an outage (most attempts error out) mid-run. Seeded end to end."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from smartpay_routing.domain import reward as rewards
from smartpay_routing.domain.catalog import Catalog
from smartpay_routing.domain.model import RouteContext

COUNTRIES = {"US": (0.30, "USD"), "CA": (0.05, "CAD"), "DE": (0.10, "EUR"), "FR": (0.08, "EUR"),
             "ES": (0.05, "EUR"), "GB": (0.10, "GBP"), "JP": (0.09, "JPY"), "AU": (0.06, "AUD"),
             "BR": (0.07, "BRL"), "IN": (0.05, "USD"), "MX": (0.05, "USD")}
FX = {"USD": 100, "EUR": 92, "GBP": 79, "JPY": 150, "AUD": 150, "CAD": 136, "BRL": 500}  # minor units per USD
CATEGORIES = {"retail": 0.45, "digital": 0.25, "travel": 0.15, "gaming": 0.15}
METHODS = {"card": 0.75, "amazon_pay": 0.15, "solana_wallet": 0.10}
GATEWAYS = ("stripe", "amazon_pay", "solana")
# Structured effects on the approval logit (the seed perturbs each): who is good where.
BASE = {"stripe": 2.2, "amazon_pay": 1.9, "solana": 1.7}
REGION = {"stripe": {"NA": 0.3, "EU": -0.1, "UK": 0.1, "APAC": -0.6, "LATAM": -0.3},
          "amazon_pay": {"NA": 0.1, "EU": 0.4, "UK": 0.3, "APAC": 0.6, "LATAM": 0.0},
          "solana": {"NA": 0.0, "EU": 0.1, "UK": 0.0, "APAC": 0.2, "LATAM": 0.3}}
METHOD = {"stripe": {"card": 0.0, "amazon_pay": -0.4}, "amazon_pay": {"card": -0.1, "amazon_pay": 0.8},
          "solana": {"card": -0.5, "solana_wallet": 0.6}}
CATEGORY = {"stripe": {"travel": -0.4, "gaming": -0.3}, "amazon_pay": {"travel": 0.3, "retail": 0.1},
            "solana": {"digital": 0.5, "gaming": 0.6, "travel": -0.4}}
RISK = {"stripe": -2.5, "amazon_pay": -1.0, "solana": -0.6}
AMOUNT = {"stripe": 0.0, "amazon_pay": -0.3, "solana": 0.4}  # per decade of amount above $10
DRIFT = {"stripe": -0.6, "amazon_pay": 0.4, "solana": 0.0}  # change of the base logit over the run
LATENCY_MS = {"stripe": 450.0, "amazon_pay": 650.0, "solana": 1100.0}
TIMEOUT_MS = 5000.0
BASE_ERROR = 0.01
OUTAGE_ERROR = 0.9


@dataclass(frozen=True)
class Outage:
    gateway: str = "stripe"
    start: float = 0.45  # share of the run
    end: float = 0.60


@dataclass
class GatewayEnvironment:
    catalog: Catalog
    seed: int
    rounds: int
    outage: Outage = Outage()
    decisions_per_second: float = 10.0
    _effects: dict = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = random.Random(f"effects-{self.seed}")
        jitter = (lambda v: v + rng.gauss(0.0, 0.25))  # noqa: E731
        self._effects = {
            g: {"base": jitter(BASE[g]), "region": {k: jitter(v) for k, v in REGION[g].items()},
                "method": {k: jitter(v) for k, v in METHOD[g].items()},
                "category": {k: jitter(CATEGORY[g].get(k, 0.0)) for k in CATEGORIES},
                "risk": jitter(RISK[g]), "amount": jitter(AMOUNT[g]), "drift": DRIFT[g] * (0.5 + rng.random())}
            for g in GATEWAYS}

    # -- what happens --------------------------------------------------------------------------------------
    def now(self, t: int) -> float:
        return t / self.decisions_per_second

    def in_outage(self, t: int, gateway: str) -> bool:
        return gateway == self.outage.gateway and self.outage.start * self.rounds <= t < self.outage.end * self.rounds

    def context(self, t: int) -> RouteContext:
        rng = random.Random(self.seed * 1_000_003 + t)  # a function of (seed, t): any run sees the same stream
        country = rng.choices(list(COUNTRIES), weights=[w for w, _ in COUNTRIES.values()])[0]
        currency = COUNTRIES[country][1]
        category = rng.choices(list(CATEGORIES), weights=list(CATEGORIES.values()))[0]
        usd = math.exp(rng.gauss(math.log(60 if category == "travel" else 25), 0.9))
        amount = max(1, round(usd * FX[currency] * (1 if currency == "JPY" else 1)))
        method = rng.choices(list(METHODS), weights=list(METHODS.values()))[0]
        risk = min(1.0, rng.betavariate(1.5, 9.0))
        hour = int(self.now(t) / 60) % 24  # one simulated hour per minute keeps every hour in a run
        return RouteContext(f"m_{category}", amount, currency, method, country, category, round(risk, 3), hour)

    def approval_probability(self, t: int, ctx: RouteContext, gateway: str) -> float:
        e = self._effects[gateway]
        region = self.catalog.region(ctx.country)
        usd = ctx.amount / FX[ctx.currency]
        logit = (e["base"] + e["drift"] * t / self.rounds + e["region"].get(region, 0.0)
                 + e["method"].get(ctx.method, 0.0) + e["category"].get(ctx.merchant_category, 0.0)
                 + e["risk"] * ctx.risk_score + e["amount"] * math.log10(max(usd, 1.0) / 10.0)
                 + 0.15 * math.sin((ctx.hour + GATEWAYS.index(gateway) * 8) * math.pi / 12))
        return 1.0 / (1.0 + math.exp(-logit))

    def error_probability(self, t: int, gateway: str) -> float:
        return OUTAGE_ERROR if self.in_outage(t, gateway) else BASE_ERROR

    def expected_reward(self, t: int, ctx: RouteContext, gateway: str) -> float:
        err = self.error_probability(t, gateway)
        fee = self.catalog.gateways[gateway].fee_fraction(ctx.amount, ctx.currency)
        approved_value = rewards.reward(True, fee, 0.0)
        latency_cost = rewards.reward(False, fee, (1 - err) * LATENCY_MS[gateway] + err * TIMEOUT_MS)
        return (1 - err) * self.approval_probability(t, ctx, gateway) * approved_value + latency_cost

    def outcome(self, t: int, ctx: RouteContext, gateway: str, rng: random.Random) -> tuple[bool, bool, float]:
        """(approved, gateway_error, latency_ms) of one attempt."""
        if rng.random() < self.error_probability(t, gateway):
            return False, True, TIMEOUT_MS * (0.8 + 0.4 * rng.random())
        latency = LATENCY_MS[gateway] * math.exp(rng.gauss(0.0, 0.3) - 0.045)
        return rng.random() < self.approval_probability(t, ctx, gateway), False, latency
