"""The deterministic planner's grammar: synonyms and phrases -> parts of a plan (METRICS.md words). Every
phrase that is understood is consumed; a question that leaves unknown words is refused, never guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fourteen": 14, "thirty": 30, "ninety": 90}
NUM = r"(\d{1,4}|" + "|".join(NUMBERS) + r")"
MONTHS = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                          "august", "september", "october", "november", "december"))}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
MONTH_RE = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATE_RE = rf"(?:(\d{{4}})-(\d{{2}})-(\d{{2}})|{MONTH_RE}\s+(\d{{1,2}})(?:st|nd|rd|th)?|(\d{{1,2}})(?:st|nd|rd|th)?\s+{MONTH_RE})"

# Checked in this order: the longer phrase wins ("fraud decline rate" before "decline rate").
METRICS = [
    ("latency", r"\b(latency|latencies|how long|how fast|processing time|p50|p90|p95|p99|median time|percentiles?)\b"),
    ("fraud_decline_rate", r"\bfraud(?:[- ]decline)? (?:decline )?rate\b|\brate of fraud declines\b"),
    ("fallback_rate", r"\bfall ?back rate\b|\brate of fallbacks\b"),
    ("refund_rate", r"\brefund rate\b|\brate of refunds\b"),
    ("decline_rate", r"\b(decline|rejection|failure) rate\b|\brate of declines\b"),
    ("approval_rate", r"\b(approval|success|acceptance|authori[sz]ation|conversion) rate\b|\bapproval ratio\b"),
    ("refund_total", r"\b(how much (?:was |did we |have we |got )?refund(?:ed)?|total refund(?:s|ed)?|refund(?:ed)? "
                     r"(?:total|amount|volume)|refunds? total|sum of refunds|refunded amount)\b"),
    ("average_order_value", r"\b(average order value|aov|average (?:payment|order|ticket|transaction|basket)"
                            r"(?: size| value| amount)?|mean (?:payment|order) (?:value|amount)|average amount)\b"),
    ("net", r"\bnet(?: volume| revenue| sales| amount)?\b"),
    ("volume", r"\b(volume|revenue|sales|gross|turnover|takings|how much (?:money )?(?:did we |have we |we )?"
               r"(?:take|took|taken|make|made|process|processed|earn|earned|collect|collected)|total amount"
               r"|amount processed|processed amount|money)\b"),
    ("count", r"\b(how many|number of|count of|count|total number)\b"),
]
GATEWAYS = {"stripe": "stripe", "amazon pay": "amazon_pay", "amazonpay": "amazon_pay", "solana": "solana"}
COUNTRIES = {"germany": "DE", "france": "FR", "spain": "ES", "italy": "IT", "netherlands": "NL",
             "the netherlands": "NL", "united kingdom": "GB", "the uk": "GB", "uk": "GB", "britain": "GB",
             "united states": "US", "the us": "US", "the usa": "US", "usa": "US", "japan": "JP", "brazil": "BR",
             "india": "IN", "canada": "CA", "australia": "AU", "bahrain": "BH", "ireland": "IE", "poland": "PL",
             "austria": "AT", "belgium": "BE", "sweden": "SE", "switzerland": "CH", "mexico": "MX"}
CURRENCY_CODES = ("EUR", "USD", "GBP", "JPY", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "BHD", "KWD",
                  "CAD", "AUD", "NZD", "BRL", "MXN", "INR", "CNY", "HKD", "SGD", "KRW", "ZAR", "TRY", "SOL",
                  "USDC", "CLP", "ISK", "JOD", "OMR", "TND", "AED", "SAR")
CURRENCY_WORDS = {"euros": "EUR", "euro": "EUR", "dollars": "USD", "dollar": "USD", "us dollars": "USD",
                  "yen": "JPY", "pounds": "GBP", "pound": "GBP", "sterling": "GBP", "francs": "CHF"}
GROUPS = {"gateway": "gateway", "gateways": "gateway", "status": "status", "statuses": "status",
          "outcome": "status", "reason": "reason", "reasons": "reason", "decline reason": "reason",
          "decline reasons": "reason", "currency": "currency", "currencies": "currency", "method": "method",
          "methods": "method", "payment method": "method", "payment methods": "method", "country": "country",
          "countries": "country", "day": "day", "days": "day", "date": "day", "hour": "hour", "hours": "hour"}
GROUP_RE = r"(" + "|".join(sorted(GROUPS, key=len, reverse=True)) + r")"
STOPWORDS = frozenset("""
what what's whats which is was were are be been being the a an our my we us i you me of for in on at to from
and or how did do does have has had show give tell list please payments payment transactions transaction
orders order charges total overall all it its that this those these so far per rate rates about only just
instead then now there get got can could would will see percentage percent share level figure figures much
many value amount amounts number numbers ones one each with as our like was were between each than up
any ever happened recent recently look looking looked
""".split())


@dataclass
class Parsed:
    """What the grammar found in a question; None / empty = not mentioned."""

    metric: str | None = None
    statuses: tuple[str, ...] = ()
    gateways: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    fraud_decisions: tuple[str, ...] = ()
    amounts: dict[str, Decimal] = field(default_factory=dict)
    window: dict[str, Any] | None = None
    timezone: str | None = None
    group_by: tuple[str, ...] = ()
    top_n: int | None = None
    order: str | None = None
    percentiles: tuple[float, ...] = ()
    follow_up: bool = False
    leftovers: list[str] = field(default_factory=list)


class Text:
    """The question being consumed: each understood phrase is blanked out."""

    def __init__(self, text: str):
        self.text = f" {text} "

    def take(self, pattern: str) -> list[re.Match[str]]:
        found = list(re.finditer(pattern, self.text))
        if found:
            self.text = re.sub(pattern, " ", self.text)
        return found

    def words(self) -> list[str]:
        return re.findall(r"[a-z0-9_'$€£¥.]+", self.text.replace("?", " "))


def number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBERS[token]


def parse_date(groups: tuple[str | None, ...], today: date) -> date:
    """A date phrase -> a date; without a year, the latest such date that is not after today."""
    iso_y, iso_m, iso_d, month_a, day_a, day_b, month_b = groups
    if iso_y:
        return date(int(iso_y), int(iso_m), int(iso_d))
    month, day = (MONTHS[month_a], int(day_a)) if month_a else (MONTHS[month_b], int(day_b))
    candidate = date(today.year, month, day)
    return candidate if candidate <= today else date(today.year - 1, month, day)
