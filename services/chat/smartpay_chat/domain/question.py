"""Question text -> `Parsed`, phrase by phrase: normalise, spoken forms (numbers in words, homophones), correct
typos, then the time zone, the metric, the ranking, the grouping, the window, amounts and filter values; what is
left is judged by `leftovers.judge`.
Pure: `today` and the known-word test are arguments."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import date

from smartpay_chat.domain import grammar as g
from smartpay_chat.domain import leftovers, lexicon, spoken, typos, values, when, zones
from smartpay_chat.domain.places import COUNTRY_NAMES, CURRENCY_NAMES, DEMONYMS

_FOLLOW_UP = (r"^\s*(?:and|what about|how about|only|just|same|now|but|then|instead|also|ok|okay|so|what if"
              r"|could you (?:break|split)|can you (?:break|split)|break|split|restrict|limit|filter)\b"
              r"|\binstead\b|\b(?:it|that|those|these|them|they|the same)\b|^\s*how many were\b")
_DESC = (r"most common|most frequent|most used|most popular|used (?:the )?most|commonest|main|primary|top|biggest"
         r"|leading|highest|most|best|busiest|largest|greatest|slowest")
_ASC = r"lowest|least used|least|worst|bottom|fewest|smallest|quietest|fastest"
# "more" with no "than" (a comparison is refused before) where a ranking stands is "most", as Spanish and Portuguese
# speakers say it ("the 3 reasons more common", "which gateway has more declines"); "less" / "fewer" is "least".
_MORE = (rf"\b(?P<more>more|less|fewer)\s+(?:common|frequent|frequently|used|popular)\b"
         rf"|\b(?:which|what)\s+(?:\w+\s+){{0,2}}?{g.GROUP_RE}\s+(?:has|had|have|gets?|got|sees?|saw|does|did|makes?|made"
         rf"|brings?|brought|takes?|took|process(?:es|ed)?|is|was|are|were|with)\s+(?:the\s+)?(?P<more2>more|less|fewer)\b")
# "higher than last month", "better than stripe", "as high as in October": a comparison of two figures.
_COMPARISON = (r"\bthan\b|\bas (?:high|low|good|bad|many|much|big|large|small) as\b"
               # period over period (heldout_z: "GMV week-over-week for the last 4 weeks" was answered as one 28-day
               # figure; "volume yoy" as all time): two periods compared
               r"|\b(?:day|week|month|quarter|year)[- ]?(?:over|on|vs\.?|versus)[- ]?(?:day|week|month|quarter|year)\b"
               r"|\b(?:yoy|qoq|dod|w/w|m/m|y/y|q/q)\b"
               r"|\b(?:wow|mom)\s+(?:change|growth|delta|comparison|difference|trend)\b"
               # "are orders up on last week", "sales down on yesterday" (heldout_ak: answered as this week's count)
               r"|\b(?:up|down)\s+(?:on|from|vs\.?|versus|compared to|against)\s+(?:the\s+)?(?:last|previous|prior|yesterday"
               r"|this time)\b")
# "volume wow", "average order value mom": after the figure's words (in the full text), never an exclamation that
# opens or ends ("wow, how many ...", "volume today wow") nor a mother ("my mom asked ...", "from mom's shop")
_PERIOD_OVER_PERIOD = r"\b([a-z]+)\s+(?:wow|mom)\b(?!\s*'s\b)"
_NOT_BEFORE_PERIOD = frozenset("""oh holy my our your his her their the a to for from and with yesterday today week month
year night morning evening tonight so just thanks thank thx hi hey dear love""".split())


def _period_over_period(full: str, question: str) -> bool:
    return (any(m.group(1) not in _NOT_BEFORE_PERIOD for m in re.finditer(_PERIOD_OVER_PERIOD, full))
            or re.search(r"\b(?:WoW|MoM)\b", question) is not None)
COMPARISON_REASON = ("I don't compare two figures (two periods, gateways or markets) in one answer: ask for each, "
                     "for example the refund rate this month, then \"and last month?\"")
# The gateway a payment was first tried on: not a dimension (gateway filters and groupings are the final attempt's).
_FIRST_GATEWAY = (r"\b(?:first|initial|original|1st)\s+(?:gateway|provider|processor|route|attempt)s?\b"
                  r"|\b(?:first|initially|originally)[- ](?:tried|attempted|routed|sent|used|picked|chosen)\b"
                  # the words the other way round: "by the gateway tried first", "the provider (that) we attempted
                  # initially", "the gateway a payment was sent to first" (heldout_j)
                  r"|\b(?:gateway|provider|processor|route)s?\s+(?:(?:that|which)\s+)?(?:(?:it|they|we|the payments?"
                  r"|a payment|payments?)\s+)?(?:(?:was|were|is|are|got|get|gets|had been|has been|have been)\s+)?"
                  r"(?:tried|attempted|routed|sent|used|picked|chosen|hit)(?:\s+(?:to|on|at|with|through))?"
                  r"\s+(?:first|initially|originally|at first|in the first place)\b")
FIRST_GATEWAY_REASON = ("a gateway filter or grouping is the gateway of the final attempt (METRICS.md); I can't filter or "
                        "group by the gateway tried first, only count the payments that fell back to another one")
# Latency's definition (METRICS.md: creation -> final outcome) in its own words, in its three shapes only: "from
# creation to final outcome", "between a payment being created and its final result", "creation -> final state"
# (heldout_j). "payments created and their outcome" (a count) or "payments created to decision" are not it. The time
# words around it ("time", "how long") are read as before.
_CREATED = (r"(?:(?:its|their|the|a)\s+)?(?:payments?\s+)?(?:creation(?:\s+time)?|time of creation|being created|created"
            r"|(?:it|they|the payment|a payment|payments) (?:is|was|were|are|gets?|got|being) created)")
_LATENCY_DEFINITION = (rf"\b(?:(?:from|since)\s+(?:when\s+)?{_CREATED}\s*(?:to|until|till|through)"
                       rf"|between\s+(?:when\s+)?{_CREATED}\s+and|(?:(?:from|since)\s+(?:when\s+)?)?{_CREATED}\s*(?:-*\s*>|→|[-–—]+))\s*"
                       r"(?:(?:reach(?:ing)?|getting to|get to)\s+)?(?:a |the |its |their )?(?:first\s+)?"
                       r"(?:final\s+(?:outcome|state|status|result|decision)s?|(?:outcome|result|decision)s?)\b")
# An exclusion said with a particle ("Amazon Pay left out", "with Stripe taken out", "keep Solana out of it"): the
# value it names would be read as a filter (the opposite of what was asked, heldout_k), so the question is refused.
# Read after the metrics: net's own words ("with refunds taken out") are consumed before.
_EXCLUSION = (r"\b(?:leav(?:e|es|ing)|left|keep(?:s|ing)?|kept|tak(?:e|es|ing|en)|took|cut(?:s|ting)?|strip(?:s|ped|ping)?"
              r"|filter(?:s|ed|ing)?|knock(?:s|ed|ing)?|rul(?:e|es|ed|ing)|pull(?:s|ed|ing)?|carv(?:e|es|ed|ing)"
              r"|factor(?:ed|ing)?|cross(?:ed|ing)?)\s+(?:[\w$€£¥-]+\s+){0,4}?(?:out|aside|off|away)\b(?!\s+(?:to|at)\b)"
              r"|\bnot (?:counting|including|considering|incl)\b|\b(?:aside|apart) from\b|\bother than\b|\bbut not\b")
EXCLUSION_REASON = ("I can't leave a value out (an exclusion): ask for the whole, or for the values you want, for "
                    "example \"volume on Stripe and Solana\"")
_AMOUNT_WORDS = r"\b(?:value|values|amount|amounts|size|sizes|basket|ticket|spend|money)\b"
# Currencies are never added together or converted (METRICS.md): a conversion, or the money of several currencies
# asked as one figure ("total volume across all currencies as one number, converted to dollars", heldout_l), is
# refused, never answered in one currency or per currency.
# "conversion rate" (checkout conversion) is not a currency's: only a conversion to, into or of money is.
_CONVERSION = (r"\bconver(?:t|ts|ted|ting)\b(?:\s+\w+){0,3}?\s+(?:to|into|in)\b|\bcurrency conversions?\b"
               r"|\bconver(?:t|ted|ting|sion)\b(?=.*\b(?:currenc|dollars?|euros?|pounds?|yen|usd|eur|gbp)\w*)"
               r"|\bexchange rates?\b|\bfx rates?\b")
_ONE_FIGURE = (r"\b(?:as|in|into) (?:one|a single) (?:number|figure|total|sum|amount)\b"
               r"|\b(?:sum|summed|add|added|adding|combine|combined|lump|lumped)\s+(?:up\s+|together\s+)?(?:across|over)\s+"
               r"(?:all\s+)?(?:the\s+|our\s+)?currencies\b|\bcurrencies\s+(?:summed|added|combined|lumped)\b"
               # "... >> and in euros? >> now add them together" (heldout_ac): two answers' money in one figure
               r"|\b(?:add|sum|combine|total|lump)\s+(?:them|those|these|both|the two)(?:\s+up)?(?:\s+together)?\b")
CONVERSION_REASON = ("I never add amounts in different currencies together or convert them (METRICS.md): ask for the "
                     "money per currency, or in one currency")
COMBINED_REASON = ("I don't add two answers together, nor amounts in different currencies (METRICS.md): ask for the "
                   "figure you want in one question, per currency for money")
_WEEKDAY_RE = "|".join(g.WEEKDAYS)
# A "<word> time" the grammar could not read as a zone ("Calgary time"): refused, never answered in the default zone
# (heldout_l: "Halifax time" was answered in UTC). Not these words before "time" (no place).
_NOT_A_ZONE = frozenset("""same first last real any every each no some long short spare free lead wait waiting down up
run peak busy quiet night day prime opening closing local half full part over on in at what which this that the a
our my per by of for from one two next another processing response average mean median typical total""".split())


class Unsupported(ValueError):
    """A reading the question asks for that no plan holds."""


_MONEY = ("volume", "net", "refund_total", "average_order_value")
_HIGH_IS_BAD = ("decline_rate", "fraud_decline_rate", "refund_rate", "fallback_rate")
_NOUNS = r"\b(?:payments?|transactions?|orders?|charges?|purchases?|checkouts?|buys)\b"
_VOCAB = (lexicon.FILLER | lexicon.OUT_OF_SCOPE | lexicon.PEOPLE | lexicon.NEGATIONS | lexicon.TIME_WORDS
          | lexicon.TYPO_TARGETS | lexicon.PAYMENT_NOUNS | set(g.GROUPS) | set(g.MONTHS) | set(g.WEEKDAYS)
          | {w for name in (*COUNTRY_NAMES, *DEMONYMS, *CURRENCY_NAMES, *zones.CITIES, *zones.IANA_CITIES,
                            *zones.REGIONS, *zones.ABBREVIATIONS, *zones.AMBIGUOUS) for w in name.split()})


def parse(question: str, today: date, known: Callable[[str], bool] = lambda w: False) -> g.Parsed:
    parsed = g.Parsed()
    said = spoken.homophones(spoken.digits(lexicon.normalise(question)))  # "forty eight hours", "buy gateway"
    text, parsed.corrected = typos.correct(said, lexicon.TYPO_TARGETS,
                                           lambda w: w in _VOCAB or known(w))
    # "by status, method": a list of groupings (commas go below; "and" keeps the list for `_groups`)
    text = re.sub(rf"\b{g.GROUP_RE}\s*,\s*(?=(?:by\s+)?(?:the\s+)?(?:payment\s+)?{g.GROUP_RE}\b)", r"\1 and ", text)
    t = g.Text(re.sub(r"[?!,;()\"]|:(?!\d)|\.(?!\d)", " ", text))
    try:
        _zone(t, question, parsed)
        parsed.follow_up = bool(re.search(_FOLLOW_UP, t.text))
        t.take(r"^\s*(?:(?:and|ok|okay|so)\s+)?now\b(?=\s+[a-z])")  # "now by volume": the next step, not a window
        if t.has(_CONVERSION):  # before the figures: "exchange rate" is no rate of ours
            raise Unsupported(CONVERSION_REASON)
        # "please share the count of declined payments" (heldout_r): the verb, not a share of payments
        t.take(r"\b(?:please|pls|kindly|can you|could you|would you|will you|can u|could u|you could|to)\s+share\b"
               r"(?=\s+(?:the|me|with|us|our|a|an|your|this|that|those|these|how|what)\b)|\bshare\s+with\s+(?:me|us)\b")
        _metric(t, parsed)
        if parsed.metric is None and re.match(r"\s*(?:and\s+)?(?:only\s+|just\s+)?for\s+(?:the\s+|those\s+)?(?:payments?"
                                              r"|transactions?|orders?|charges?|purchases?|ones?)\b", t.full):
            parsed.follow_up = True  # "... >> for payments over 100 dollars" (heldout_q): the last figure, narrowed
        if t.has(_ONE_FIGURE) and parsed.metric in _MONEY:
            raise Unsupported(CONVERSION_REASON)
        if t.has(_ONE_FIGURE) and parsed.metric is None:  # "... >> now add them together": two answers in one
            raise Unsupported(COMBINED_REASON)
        # a hotel's "night audit" (heldout_l) is its daily close, not a time of day; a job title's words too
        t.take(r"\b(?:night|end[- ]of[- ]day|eod)\s+audit(?:or)?\b")
        # "orders placed today" (heldout_l): placing, submitting or creating a payment is the payment itself (not
        # "placed on hold")
        if t.has(_NOUNS):
            t.take(r"\b(?:(?:were|was|been|being|got|get|are|is|have been|has been|had been)\s+)?(?:placed"
                   r"|created)\b(?!\s+(?:on|in|into)\s+hold\b)")
        # "fee payments" (heldout_l: a school's fees): the payments themselves; "fees" alone stays refused
        t.take(r"\b(?:school |tuition )?fees? (?=payments?\b)")
        if t.has(_EXCLUSION):  # "leaving Amazon Pay out of it": never read as the filter it names
            raise Unsupported(EXCLUSION_REASON)
        if t.has(_FIRST_GATEWAY):  # left after "fell back" ("final gateway differs from the first one tried")
            raise Unsupported(FIRST_GATEWAY_REASON)
        sizes = [(m.span(), bool(m.group(1))) for m in re.finditer(
            rf"\b(?:(small|smaller|tiny|little|low[- ]value|cheap)|big|bigger|large|larger|huge|high[- ]value)"
            rf"\s+(?={_NOUNS})", t.text)]
        parsed.amounts, symbol_currencies = values.amounts(t)
        for span, small in sizes:  # "small payments under 5 dollars" (heldout_l): the size the bound says; alone,
            # or against the bound ("large payments under 5 dollars"), it stays and is refused
            if parsed.amounts.keys() & ({"amount_lt", "amount_lte"} if small else {"amount_gt", "amount_gte"}):
                t.blank(*span)
        if t.has(_COMPARISON) or _period_over_period(t.full, question):  # left after the amount bounds ("more
            # than 200"): two figures compared
            parsed.refusal = COMPARISON_REASON
            return parsed
        _ranking(t, parsed)
        # "approved payments that were later refunded" (heldout_k): when the refund came, not a window
        t.take(r"\b(?:later(?: on)?|subsequently|eventually|afterwards|ultimately)\b(?=\s+(?:(?:get|got|been|be)\s+)?"
               r"(?:partially\s+)?refund(?:ed|s)?\b)")
        named = values.named_statuses(t)  # "with status failed": before "with the status" can read as a grouping
        parsed.relative = when.relative(t)  # before the groupings: "and the day before?" groups by nothing
        fraud_reasons = bool(t.take(r"\bfraud[- ](?:decline|declined|declines|rejection|rejections|block|blocks)\s+"
                                    r"(?:reasons?|codes?)\b|\b(?:(?:decline|declined|failure|rejection)\s+)?(?:reasons?|codes?)\s+(?:for|of|behind)"
                                    r"\s+(?:the\s+)?fraud[- ]?(?:declines?|blocks?"
                                    r"|rejections?)\b"))
        for m in list(re.finditer(r"\b((?:(?:decline|declined|failure|rejection)\s+)?(?:reasons?|codes?)\s+(?:for|of|behind)"
                                  r"\s+)(?:[a-z0-9]+\s+){1,3}?(fraud[- ]?(?:declines?|blocks?|rejections?))\b", t.text)):
            t.blank(*m.span(1))  # "codes behind this week's fraud declines" (heldout_l): the window between stays
            t.blank(*m.span(2))
            fraud_reasons = True
        groups = _groups(t) + (["reason"] if fraud_reasons else [])
        t = _without_named_days(t, question, today)
        parsed.window, said_now = when.window(t, today)
    except (zones.ZoneProblem, when.FutureWindow, when.NoSuchDate, when.TwoWindows, Unsupported) as e:
        parsed.refusal = str(e)
        return parsed
    if groups:  # "by gateway: how many payments on each?" (heldout_k): "each" at the end is the grouping's value
        t.take(r"\b(?:on|for|in|of|per|with|at)?\s*each(?:\s+(?:one|of them))?(?=\s*$)")
    if parsed.top_n is not None:  # "top 5 gateways", "the busiest day": the ranked thing is the grouping
        groups += [g.GROUPS[m.group(1)] for m in t.take(rf"\b{g.GROUP_RE}\b")]
    parsed.group_by = tuple(dict.fromkeys(groups))
    # "break that down by country too" (heldout_r): a grouping added to the last question's
    parsed.adds_groups = bool(groups) and bool(re.search(rf"\b{g.GROUP_RE}s?\s+(?:too|as well)\b", t.full))
    if parsed.adds_groups:
        t.take(r"\b(?:too|as well)\b")
    # "per payment method" names a grouping, not the payments (heldout_aa: "median latency yesterday >> per payment
    # method" was a new question, a count of every payment by method, all time: a wrong answer)
    parsed.which_one = (len(re.findall(r"\bwhich\b", t.full)) == 1 and re.search(
        r"\bwhich\s+(?:payment\s+)?(?:method|gateway|provider|processor|country|currency|status|reason|day|hour)"
        r"(?![\w(])(?!\s+s\b)(?!\s+(?:and|or)\b)", t.full) is not None)  # "which methods" / "which method(s)": several
    grouping_alone = re.fullmatch(
        r"\s*(?:(?:and|now|then|ok|okay|so)\s+)*(?:split\s+|broken\s+down\s+|grouped\s+|break\s+(?:it|that|this)\s+down\s+)?"
        r"(?:by|per|for each|each)\s+(?:the\s+)?(?:payments?|transactions?)\s+(?:methods?|status|statuses|gateways?|providers?"
        r"|processors?|types?|state)\s*(?:too|as well|please|pls|instead)?\s*", t.full)
    parsed.payment_noun = not grouping_alone and bool(re.search(_NOUNS, t.full))
    parsed.gateway_named = bool(re.search(r"\b(?:gateways?|providers?|processors?|network)\b", t.full))
    methods, gateways = values.methods_and_gateways(t)
    statuses, parsed.status_words = values.statuses(t, named)
    # "flagged for manual fraud review" (heldout_k): the modifiers in any number
    # ... never a report called a review ("the owner's monthly review", "performance review": heldout_ao, a wrong answer)
    if t.take(r"\b(?:sent (?:for|to)|flagged (?:for|as|to|into)|held for|went (?:to|into)|put (?:in|into|under)|under|in)?\s*"
              r"(?:(?:manual|fraud|a|the|human)\s+){0,3}(?<!monthly )(?<!weekly )(?<!quarterly )(?<!annual )(?<!yearly )"
              r"(?<!daily )(?<!'s )(?<!performance )(?<!business )(?<!year-end )(?<!month-end )"
              r"\breview(?:ed)?\b"):
        parsed.fraud_decisions = ("review",)
    currencies = symbol_currencies + values.currencies(t)
    countries = values.countries(t, question)
    t.take(_NOUNS)
    parsed.methods, parsed.gateways = tuple(dict.fromkeys(methods)), tuple(dict.fromkeys(gateways))
    parsed.statuses, parsed.currencies = tuple(dict.fromkeys(statuses)), tuple(dict.fromkeys(currencies))
    parsed.countries = tuple(dict.fromkeys(countries))
    if said_now and parsed.statuses == ("pending",):  # "pending right now": the state now, whenever created
        parsed.window = None
    if (parsed.metric is None and parsed.currencies and not parsed.percentiles and re.search(r"\bhow much\b", t.full)
            and not (parsed.statuses or parsed.fell_back or parsed.fraud_decisions or parsed.share)):
        parsed.metric = "volume"  # "how much in pounds since monday": money in a currency (METRICS.md's "how much")
    # "what was my total last month" (heldout_ad): the money taken, when nothing else names a figure, a count or which
    # payments ("our total in transactions", "our total declines", "my total in refunds": not the volume)
    if (parsed.metric is None and not parsed.counted and not parsed.statuses and not parsed.payment_noun
            and not parsed.percentiles and parsed.fell_back is None
            and not re.search(r"\b(?:how many|count|number|refunds?|refunded|transactions?|payments?|orders?|sales|amount)\b",
                              t.full) and re.search(r"\b(?:my|our) totals?\b", t.full)):
        parsed.metric = "volume"
    if (parsed.metric is None and not parsed.percentiles and parsed.statuses
            and set(parsed.statuses) <= {"refunded", "partially_refunded"} and re.search(r"\bhow much\b", t.text)):
        # "refunds last week how much": the money refunded, as "how much refunds" is; of one kind, that kind's
        # ("partial refunds last week how much", the planner keeps the filter)
        parsed.metric = "refund_total"
    if fraud_reasons:
        parsed.statuses = tuple(dict.fromkeys((*parsed.statuses, "declined_fraud")))
    if "reason" in parsed.group_by and not parsed.statuses:
        parsed.statuses, parsed.statuses_implied = values.DECLINED, True
    unknown_zone = _unknown_zone(t, question, known)
    if unknown_zone:
        parsed.refusal = unknown_zone
        return parsed
    parsed.leftovers, parsed.ignored = leftovers.judge(t, question, lambda w: w in _VOCAB or known(w),
                                                       bool(parsed.group_by))
    return parsed


def _zone(t: g.Text, question: str, parsed: g.Parsed) -> None:
    t.take(r"\b(?:in|on|at|using)?\s*(?:the\s+)?(?:our|my|local|merchant|merchant's|store|shop|account)\s+"
           r"(?:local\s+)?time(?:\s*zone)?\b")  # the merchant's own zone: the configured default
    zone, spans = zones.find(t.text, question)
    for span in spans:
        t.blank(*span)
    if zone is None:
        city = zones.find_city(t.text)  # "yesterday in London": London's yesterday ("payments in Lisbon": refused)
        if city and re.search(r"\b(?:today|yesterday|week|month|hours|days|monday|tuesday|wednesday|thursday"
                              r"|friday|saturday|sunday|\d{4}-\d\d-\d\d)\s*$", t.text[:city.start()]):
            zone = zones.CITIES[city.group(1)]
            t.blank(*city.span())
    parsed.timezone = zone


# Named days whose name holds a weekday ("Giving Tuesday"): set aside only beside a one-day window ("It's Giving
# Tuesday - how much so far today?"). Any other "<Word> <weekday>" ("Stripe Tuesday", "Black Friday this year") is
# left to the windows, which refuse two of them: a named day is never read as a date.
_NAMED_DAYS = frozenset({"giving", "cyber", "black", "good", "easter", "ash", "holy", "super", "mad"})


def _without_named_days(t: g.Text, question: str, today: date) -> g.Text:
    """`t` with the weekday of a named day ("Giving Tuesday") set aside when the window left is one day (today,
    yesterday); otherwise `t` as it is."""
    spans = []
    for m in re.finditer(rf"\b([a-z]+)\s+({_WEEKDAY_RE})\b", t.text):
        word, day = m.group(1), m.group(2)
        if word not in _NAMED_DAYS:
            continue
        if re.search(rf"\b{word.capitalize()}\s+{day.capitalize()}\b", question):
            spans.append(m.span())
    if not spans:
        return t
    without = copy.copy(t)
    for span in spans:
        without.blank(*span)
    if not re.search(r"\b(?:today|yesterday|tonight)\b", without.text):
        return t
    try:
        found, _ = when.window(copy.copy(without), today)
    except (when.FutureWindow, when.NoSuchDate, when.TwoWindows):
        return t
    return without if found is not None else t


def _unknown_zone(t: g.Text, question: str, known: Callable[[str], bool]) -> str | None:
    """A reason to refuse a "<word> time" (or time zone) left unread that names a place ("Calgary time"), else None."""
    for m in re.finditer(r"\b([a-z]+)\s+(?:local\s+)?(time\s*zone|timezone|tz|time)\b", t.text):
        word = m.group(1)
        if word in _NOT_A_ZONE or word in lexicon.FILLER:
            continue
        capitalised = re.search(rf"\b{word.capitalize()}\b", question) is not None
        if m.group(2) != "time" or capitalised or not (word in _VOCAB or known(word)):
            return (f"I don't know the time zone of \"{word}\": name a city with its own zone (for example \"New York "
                    f"time\") or the zone itself (for example \"America/Edmonton\")")
    return None


# money said in slang ("how much dosh was that", heldout_aj)
_MONEY_WORDS = r"(?:money|cash|dosh|dough|quid|bucks|moolah|wonga)"


def _metric(t: g.Text, parsed: g.Parsed) -> None:
    named = t.take(r"\b(?:p|percentile\s*)(50|75|90|95|99)\b|\b(50|75|90|95|99)(?:th)?[- ]?(?:percentile|pct)\b")
    for m in named:
        parsed.percentiles += (float(m.group(1) or m.group(2)),)
    if t.take(r"\bmedian\b"):
        parsed.percentiles += (50.0,)
    latency_said = bool(t.take(_LATENCY_DEFINITION))  # "from creation to final outcome": METRICS.md's words
    if t.take(r"\b(?:time|times|duration|how long it takes|how long)(?: it takes| taken)? (?:to|until|till) (?:reach |get to )?(?:a |the |their )?"
              r"(?:final )?(?:outcome|result|decision)s?\b"):
        parsed.metric = "latency"  # METRICS.md: latency = creation -> first final outcome
    t.take(r"\bto (?:reach |get to )?(?:a |the |their )?final (?:outcome|state|status|result)\b|\bend to end\b"
           r"|\b(?:end|ends|ended|ending) up\b")  # "payments that end up refunded": the status they reached
    if t.take(rf"\bhow much(?: {_MONEY_WORDS})? (?:was|were|is|are|did) (?:that|those|these|it|they|them)(?: come to| worth| in total)?"
              r"(?: in (?:money|value|total))?\b"
              # "and how much money was in those" (heldout_o)
              r"|\bhow much(?: money)? (?:was|were|is|are) (?:in|behind|involved in|tied up in) (?:that|those|these|them)\b"
              # "and how much money it was?" (heldout_aa: the order of a question kept in a statement)
              r"|\bhow much(?: money)? (?:that|those|these|it|they) (?:was|were|is|are|came to|come to|amounted to)\b"
              # "and what did those come to in money?" (heldout_l)
              r"|\bwhat (?:did|do|does) (?:that|those|these|it|they|them) (?:refunds |payments |ones |orders )?(?:come to"
              r"|add up to|amount to|total)"
              # "how much money did those bring in?", "how much money do those add up to" (heldout_ai)
              r"|\bhow much(?: money)? (?:did|do|does) (?:that|those|these|they|them) (?:bring in|make|come to|add up to"
              r"|amount to|total|bring)\b"
              r"(?: in (?:money|value|total))?\b|\bwhat (?:was|were) (?:that|those|these|it|they) worth\b"):
        parsed.money_of_those, parsed.metric = True, "volume"  # "how much money was that?" after a count
    if t.has(rf"\bhow many (?:\w+ ){{0,3}}?{_NOUNS}"):  # "how many EUR payments ... came in": arrived, a count
        t.take(r"\b(?:came|come|coming|have come|has come) in\b")
    net_said = bool(t.take(g.NET_DEFINITION))  # "gross minus refunded amounts": net (METRICS.md), read first
    if t.has(g.VOLUME):  # "less refunds" only with the money taken named ("were there less refunds": a comparison)
        net_said = bool(t.take(g.LESS_REFUNDS)) or net_said
    for name, pattern in g.METRICS:
        for m in t.take(pattern):
            parsed.metric = parsed.metric or name
            parsed.counted = parsed.counted or name == "count"
    # "daily donation totals", "payment totals" (heldout_l): the money of those payments ("how many ... total": a count)
    if parsed.metric is None and t.take(r"(?:(?<=payment )|(?<=payments )|(?<=order )|(?<=orders )|(?<=transaction )"
                                        r"|(?<=transactions )|(?<=sales ))totals?\b"):
        parsed.metric = "volume"
    if net_said:
        if parsed.metric not in (None, "net", "volume"):
            raise Unsupported("net is the money taken minus refunds (METRICS.md): I subtract refunds only from the "
                              "money taken, not from another figure")
        parsed.metric = "net"
    if latency_said:
        if parsed.metric not in (None, "latency"):  # "how many payments from creation to final outcome"
            raise Unsupported("the time from creation to final outcome is latency (METRICS.md), not another figure")
        parsed.metric = "latency"
    if parsed.percentiles and parsed.metric is None and t.take(r"\b(?:payment|transaction|checkout)s? (?:processing )?times?\b"):
        parsed.metric = "latency"  # "median payment time" (heldout_ad): a payment's time, with a percentile, is latency
    if parsed.percentiles and parsed.metric != "latency":  # only latency has percentiles
        # "p50 and p99 for payments made with amazon pay" (heldout_l): the p-form is latency's, whatever payments
        p_form = any(re.match(r"\s*p\d", m.group(0)) for m in named)
        if parsed.metric is not None or (t.has(_NOUNS) and not p_form) or t.has(_AMOUNT_WORDS):  # "median order value"
            raise Unsupported("I give percentiles and the median only for latency (creation to final outcome)")
        if named:
            parsed.metric = "latency"  # "stripe p95 past 24 hours" (a bare "median" is left to the follow-up rules)
    if parsed.metric in ("volume", "average_order_value"):  # gross: refunded payments are in (METRICS.md)
        t.take(r"\b(?:including|incl|counting|with|even|plus|before) (?:the |any )?(?:refunds|refunded(?: and partially refunded)?"
               r"(?: payments| ones| orders| transactions)?)\b")
    if t.take(r"\btypical(?:ly)?\b") and parsed.metric == "latency" and not parsed.percentiles:
        parsed.percentiles = (50.0,)
    if values.fell_back(t) and parsed.metric != "fallback_rate":  # a rate never filters on its own numerator
        parsed.fell_back = True
    if t.take(rf"\b(?:what|which)?\s*{g.SHARE}\b(?:\s+of)?"):
        parsed.share = True


def _ranking(t: g.Text, parsed: g.Parsed) -> None:
    windowless = re.sub(rf"\b{g.NUM}\s+(?:days|hours)\b", " ", t.text)  # "over the last 60 days": a window, not a plural grouping
    plural = bool(re.search(g.PLURAL_GROUPS, windowless)) and not t.has(r"\bwhich (?:one )?of\b")  # "which of our gateways is": one
    slow = re.search(r"\b(slowest|fastest|quickest)\b", t.full)
    if slow and parsed.metric == "latency":
        parsed.order, parsed.top_n = ("desc" if slow.group(1) == "slowest" else "asc"), (5 if plural else 1)
        # "slowest 2 gateways by median latency" (heldout_r): the latency words took "slowest", its number is left
        counted = re.search(rf"\b(?:slowest|fastest|quickest)\s+{g.NUM}(?=\s+(?:\w+\s+)?{g.GROUP_RE}\b)", t.full)
        if counted and t.text[counted.start(1):counted.end(1)] == counted.group(1):
            t.blank(*counted.span(1))
            parsed.top_n = g.number(counted.group(1))
        # "the 2 fastest gateways", "and the 2 slowest?" (heldout_u: ranked slowest first by "the 2", and refused)
        before = re.search(rf"\b{g.NUM}\s+(?:slowest|fastest|quickest)\b", t.full)
        rankings = len(re.findall(rf"\b(?:{g.NUM}\s+(?:slowest|fastest|quickest)|(?:top|bottom|which|the)\s+{g.NUM})\b",
                                  t.full))
        if before and not counted and rankings == 1 and t.text[before.start(1):before.end(1)] == before.group(1):
            t.blank(*before.span(1))
            parsed.top_n = g.number(before.group(1))
    for m in t.take(rf"\b(?:(top|bottom)\s+{g.NUM}|{g.NUM}\s+(?:{_DESC}|{_ASC})|(?:worst|best)\s+{g.NUM}|(?:which|the|name the|list the|"
                    rf"what are the|what were the|give me the|show me the|show the)\s+{g.NUM}(?=\s+(?:\w+\s+)?"
                    rf"{g.GROUP_RE})|(?:{_DESC}|{_ASC})\s+{g.NUM}(?=\s+(?:\w+\s+)?{g.GROUP_RE}))\b"):
        # the last: "biggest 3 countries by sales", "lowest 2 gateways" (heldout_o)
        n = m.group(2) or m.group(3) or m.group(4) or m.group(5) or m.group(7)  # 6 and 8: the groupings
        parsed.top_n, parsed.order = g.number(n), "asc" if m.group(1) == "bottom" else "desc"
        if re.search(rf"\b(?:{_ASC})\b", m.group(0)):
            parsed.order = "asc"
        parsed.order = _judged(m.group(0), parsed)
    if slow and parsed.metric == "latency":  # "which 3 gateways were fastest": the speed word says the order
        parsed.order = "desc" if slow.group(1) == "slowest" else "asc"
    for m in t.take(rf"\b(?:make|change|set|switch) (?:it|that|this|them) (?:to )?(?:the )?(?:(top|bottom) )?{g.NUM}(?: instead)?\b"):
        parsed.top_n, parsed.follow_up = g.number(m.group(2)), True  # "make it 5": the last ranking, N rows
        parsed.order = "asc" if m.group(1) == "bottom" else ("desc" if m.group(1) == "top" else parsed.order)
    for m in t.take(r"\b(?:in\s+)?(?:(desc|descending)|asc|ascending)(?:\s+order)?\b"):  # "by country desc"
        parsed.order = "desc" if m.group(1) else "asc"
    for m in list(re.finditer(_MORE, t.text)):  # "which gateway has more declines": the one with the most
        word = m.group("more") or m.group("more2")
        t.blank(*(m.span() if m.group("more") else m.span("more2")))  # "more common": both words; "has more": "more"
        parsed.order = "desc" if word == "more" else "asc"
        parsed.top_n = parsed.top_n or (5 if plural else 1)
    for m in t.take(rf"\b(?:the\s+)?(?:{_DESC})\b"):
        parsed.order, parsed.top_n = parsed.order or "desc", parsed.top_n or (5 if plural else 1)
        parsed.order = _judged(m.group(0), parsed)
    for m in t.take(rf"\b(?:the\s+)?(?:{_ASC})\b"):
        parsed.order, parsed.top_n = "asc", parsed.top_n or (5 if plural else 1)
        parsed.order = _judged(m.group(0), parsed)


def _judged(words: str, parsed: g.Parsed) -> str:
    """"Worst" is the highest of a rate where high is bad ("worst 3 by decline rate"), "best" its lowest; the word
    is kept for a follow-up, whose metric is the last question's ("decline rate by method >> worst 2")."""
    said = re.search(r"\b(worst|best)\b", words)
    if said:
        parsed.judged = said.group(1)
    return judged_order(parsed.judged if said else None, parsed.metric, parsed.order)


def judged_order(judged: str | None, metric: str | None, order: str | None) -> str | None:
    if judged and metric in _HIGH_IS_BAD:
        return "desc" if judged == "worst" else "asc"
    return order


def _groups(t: g.Text) -> list[str]:
    reasons = t.take(r"\b(?:decline|declined|failure|failed|rejection|error|refusal)\s+(?:reasons?|codes?)\b"
                     r"|\b(?:reasons?|codes?)\s+(?:for|behind|why)\b|\bwhy (?:were|are|did|do) (?:the )?(?:payments? )?"
                     r"(?:get )?(?:declined|rejected|fail(?:ed)?)\b")
    # "why are card payments getting declined": the words between are filters, kept for the value readers
    # and "reasons card charges got declined" (heldout_l): the reasons, then the payments and their verb
    for m in list(re.finditer(r"\b(why\s+(?:were|are|did|do|is|was|does|have|has)|(?:the\s+)?(?:reasons?|codes?)"
                              r"(?:\s+(?:why|that))?)\s+(?:[a-z0-9$€£¥]+\s+){1,4}?"
                              r"((?:(?:get|getting|gotten|being|been|keep|keeps|still)\s+)*(?:declined|rejected|turned down"
                              r"|fail(?:ed|ing)?))\b", t.text)):
        t.blank(*m.span(1))
        t.blank(*m.span(2))
        reasons.append(m)
    triggers = (r"by|per|for each|for every|each|every|across|in each|on each|broken down by|break(?:ing)? (?:it |that |"
                r"this |them )?down (?:by|per)|split (?:it |that |this |them )?(?:up )?(?:by|per|across)|grouped by|"
                r"group(?:ed)? by|according to|which of (?:our|the|all)|which|what|by which|list|show(?: me)?|give(?: me)?|see|with (?:their|the)"
                r"|and (?:their|the)|plus (?:their|the)")
    t.take(r"\b(?:across|over|for|on|in|through|from) all (?:the |our )?(?:gateways|currencies|countries|methods"
           r"|payment methods|providers)\b"  # a total over every value: no filter, no grouping
           # and over the merchant's own business ("across the marketplace"; "in the store" could be a channel: no)
           r"|\bacross (?:the |our |my )?(?:whole |entire )?(?:marketplace|store|shop|business|site)\b"
           r"|\b(?:for|in|on|over) (?:the |our |my )?(?:whole|entire) (?:marketplace|store|shop|business|site)\b")
    groups = ["hour" for _ in t.take(r"\b(?:(?:by|per|which|what|each) )?hours? of (?:the )?day\b")]
    # before the "by <grouping>" triggers, which would take "by hour" and leave the first "hour" unread
    groups += ["day" for _ in t.take(r"\bday[- ]by[- ]day\b")] + ["hour" for _ in t.take(r"\bhour[- ]by[- ]hour\b")]
    for m in t.take(rf"\b(?:{triggers})\s+(?:the\s+)?(?:payment\s+)?{g.GROUP_RE}(?:\s*(?:,|and|&|then)\s*"
                    rf"(?:by\s+)?{g.GROUP_RE})*\b"):
        groups += [g.GROUPS[w] for w in re.findall(g.GROUP_RE, m.group(0).split(None, 1)[1])]
    if t.take(r"\bdaily\b"):
        groups.append("day")
    if t.take(r"\bhourly\b"):
        groups.append("hour")
    if reasons:
        groups.append("reason")
    return groups
