"""Value objects of routing: what a payment looks like to the router, a decision, an outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["bandit", "split", "pinned", "only"]


@dataclass(frozen=True, slots=True)
class RouteContext:
    merchant_id: str
    amount: int
    currency: str
    method: str
    country: str | None
    merchant_category: str | None
    risk_score: float
    hour: int  # 0-23 UTC
    method_gateways: tuple[str, ...] | None = None  # where the method holds a token; None: anywhere it is taken

    def to_dict(self) -> dict:
        return {"merchant_id": self.merchant_id, "amount": self.amount, "currency": self.currency,
                "method": self.method, "country": self.country, "merchant_category": self.merchant_category,
                "risk_score": self.risk_score, "hour": self.hour,
                "method_gateways": list(self.method_gateways) if self.method_gateways is not None else None}

    @classmethod
    def from_dict(cls, raw: dict) -> RouteContext:
        gateways = raw.get("method_gateways")
        return cls(raw["merchant_id"], int(raw["amount"]), raw["currency"], raw["method"], raw.get("country"),
                   raw.get("merchant_category"), float(raw.get("risk_score", 0.0)), int(raw.get("hour", 0)),
                   tuple(gateways) if gateways is not None else None)


@dataclass(frozen=True, slots=True)
class Decision:
    gateway: str
    fallbacks: tuple[str, ...]
    propensity: float
    policy_version: str
    explanation: str
    mode: Mode
    candidates: tuple[str, ...]  # action order as the policy saw it
    pmf: tuple[float, ...]  # probability of each candidate
    action_features: tuple[str, ...] = field(default=())  # encoded action lines, for learning later
    shared_features: str = ""

    @property
    def chosen_index(self) -> int:
        return self.candidates.index(self.gateway)


@dataclass(frozen=True, slots=True)
class Outcome:
    payment_id: str
    attempt: int
    gateway: str
    approved: bool
    gateway_error: bool  # a technical failure (retriable): counts against the gateway's health
    latency_ms: float | None
