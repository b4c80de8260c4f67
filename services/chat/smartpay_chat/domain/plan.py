"""The typed query plan a question becomes (METRICS.md is the glossary): an aggregate, a lookup of one
payment, or a refusal. Plans carry no merchant: the executor adds it from the caller's token."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Status = Literal["captured", "refunded", "partially_refunded", "declined_fraud", "failed", "pending"]
GatewayName = Literal["stripe", "amazon_pay", "solana"]
MethodName = Literal["card", "amazon_pay", "solana_wallet"]
Metric = Literal["count", "volume", "net", "average_order_value", "approval_rate", "decline_rate",
                 "fraud_decline_rate", "fallback_rate", "refund_total", "refund_rate", "latency"]
GroupKey = Literal["gateway", "status", "reason", "currency", "method", "country", "day", "hour"]
Period = Literal["today", "yesterday", "last_n_days", "last_n_hours", "this_week", "last_week", "since_weekday",
                 "this_month", "last_month", "month", "between", "on_date"]

MONEY_METRICS = frozenset({"volume", "net", "average_order_value", "refund_total"})
RATE_METRICS = frozenset({"approval_rate", "decline_rate", "fraud_decline_rate", "fallback_rate", "refund_rate"})
# Each rate's numerator (METRICS.md): a status filter inside it is never meant (the rate would be 100 % by definition:
# "payments are being rejected, ... the decline rate this week" names the rate, not a filter).
RATE_NUMERATORS = {"approval_rate": frozenset({"captured", "refunded", "partially_refunded"}),
                   "decline_rate": frozenset({"failed", "declined_fraud"}),
                   "fraud_decline_rate": frozenset({"declined_fraud"}),
                   "refund_rate": frozenset({"refunded", "partially_refunded"})}


def statuses_for(metric: str | None, statuses: tuple[str, ...]) -> tuple[str, ...]:
    """The status filter a plan of `metric` keeps: none when the statuses are exactly the rate's numerator (a part of
    it, "decline rate >> only the fraud ones", is kept: `narrower_than_numerator` refuses it)."""
    return () if metric in RATE_NUMERATORS and statuses and set(statuses) == RATE_NUMERATORS[metric] else statuses


def narrower_than_numerator(metric: str | None, statuses: tuple[str, ...]) -> bool:
    """A rate filtered to a part of its own numerator ("refund rate >> only partial refunds"): 100 % by definition."""
    return metric in RATE_NUMERATORS and bool(statuses) and set(statuses) < RATE_NUMERATORS[metric]


def known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown time zone {value!r}") from e
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    """A time window as the question says it; resolved to half-open UTC bounds against `now` (windows.py)."""

    period: Period
    n: int | None = Field(default=None, ge=1, le=3660)
    weekday: int | None = Field(default=None, ge=0, le=6, description="0 = Monday (since_weekday)")
    month: int | None = Field(default=None, ge=1, le=12, description="the month (period month)")
    start_date: date | None = None
    end_date: date | None = Field(default=None, description="inclusive (between)")

    @model_validator(mode="after")
    def _needs(self) -> Window:
        needed = {"last_n_days": "n", "last_n_hours": "n", "since_weekday": "weekday", "month": "month",
                  "between": "end_date", "on_date": "start_date"}.get(self.period)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"period {self.period} needs {needed}")
        if self.period == "between" and (self.start_date is None or self.start_date > self.end_date):
            raise ValueError("between needs start_date <= end_date")
        return self


class Filters(_Strict):
    statuses: tuple[Status, ...] = ()
    gateways: tuple[GatewayName, ...] = ()
    currencies: tuple[str, ...] = ()
    methods: tuple[MethodName, ...] = ()
    countries: tuple[str, ...] = ()
    fraud_decisions: tuple[Literal["approve", "review", "decline"], ...] = ()
    # True: terminal payments whose final gateway differs from the first one tried (METRICS.md's fallback).
    fell_back: bool | None = None
    # Amount bounds in major units of the payment's currency ("over 100" = amount_gt 100).
    amount_gte: Decimal | None = Field(default=None, ge=0)
    amount_gt: Decimal | None = Field(default=None, ge=0)
    amount_lte: Decimal | None = Field(default=None, ge=0)
    amount_lt: Decimal | None = Field(default=None, ge=0)

    @field_validator("currencies")
    @classmethod
    def _currency_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if len(code) not in (3, 4) or not code.isalpha() or not code.isupper():
                raise ValueError(f"{code!r} is not a currency code")
        return value

    @field_validator("countries")
    @classmethod
    def _country_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if len(code) != 2 or not code.isalpha() or not code.isupper():
                raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 code")
        return value


class AggregatePlan(_Strict):
    kind: Literal["aggregate"] = "aggregate"
    metric: Metric
    filters: Filters = Filters()
    window: Window | None = None
    timezone: str = "UTC"
    group_by: tuple[GroupKey, ...] = ()
    order: Literal["desc", "asc"] = "desc"
    top_n: int | None = Field(default=None, ge=1, le=100)
    percentiles: tuple[float, ...] = (50.0, 95.0, 99.0)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_zone(value)

    @field_validator("percentiles")
    @classmethod
    def _pct(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(not 0 <= p <= 100 for p in value):
            raise ValueError("percentiles must be within [0, 100]")
        return value

    @property
    def group_keys(self) -> tuple[str, ...]:
        """Currencies are never added together: a money metric is always per currency."""
        keys = tuple(dict.fromkeys(self.group_by))
        if self.metric in MONEY_METRICS and "currency" not in keys:
            keys += ("currency",)
        return keys


class LookupPlan(_Strict):
    kind: Literal["lookup"] = "lookup"
    payment_id: str = Field(pattern=r"^pay_[A-Za-z0-9]{8,40}$")


class SearchPlan(_Strict):
    """Payments like a description: hybrid BM25 + embeddings, fused by reciprocal rank (domain/search.py)."""

    kind: Literal["search"] = "search"
    text: str = Field(min_length=2, max_length=200, description="what the payments are like, in plain words")
    filters: Filters = Filters()
    window: Window | None = None
    timezone: str = "UTC"
    top_k: int = Field(default=10, ge=1, le=50)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return known_zone(value)


class Refusal(_Strict):
    kind: Literal["refusal"] = "refusal"
    reason: str


Plan = AggregatePlan | LookupPlan | SearchPlan | Refusal
