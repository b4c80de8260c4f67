"""Question text -> `Parsed` (grammar.py's vocabulary), phrase by phrase. Pure; `today` is an argument."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from smartpay_chat.domain import grammar as g

_FOLLOW_UP = r"^\s*(and|what about|how about|only|just|same|now|but|then|instead)\b|\binstead\b"
_AMOUNT = r"(\d+(?:[.,]\d+)?)"


def _window(t: g.Text, today: date) -> dict | None:
    for m in t.take(rf"\b(?:between|from)\s+{g.DATE_RE}\s+(?:and|to|until|-)\s+{g.DATE_RE}"):
        start, end = g.parse_date(m.groups()[:7], today), g.parse_date(m.groups()[7:], today)
        if end < start and not m.group(8):  # "Dec 28 to Jan 3": the end is in the start's next year
            end = end.replace(year=start.year + 1)
        return {"period": "between", "start_date": start, "end_date": end}
    for m in t.take(rf"\b(?:on|for)?\s*{g.DATE_RE}"):
        return {"period": "on_date", "start_date": g.parse_date(m.groups(), today)}
    simple = [(r"\btoday(?:'s)?\b|\bso far today\b", {"period": "today"}),
              (r"\byesterday(?:'s)?\b", {"period": "yesterday"}),
              (r"\bthis week(?:'s)?\b|\bthe current week\b", {"period": "this_week"}),
              (r"\b(?:last|previous|past) week(?:'s)?\b", {"period": "last_week"}),
              (r"\bthis month(?:'s)?\b|\bmonth to date\b|\bthe current month\b", {"period": "this_month"}),
              (r"\b(?:last|previous|past) month(?:'s)?\b", {"period": "last_month"})]
    for pattern, window in simple:
        if t.take(pattern):
            return window
    for m in t.take(rf"\b(?:last|past|previous|in the last|over the last)\s+{g.NUM}\s+(days?|hours?|weeks?)\b"):
        n, unit = g.number(m.group(1)), m.group(2)
        if unit.startswith("hour"):
            return {"period": "last_n_hours", "n": n}
        return {"period": "last_n_days", "n": n * 7 if unit.startswith("week") else n}
    for m in t.take(r"\b(?:last|past)\s+(day|hour)\b|\bthe past (day|hour)\b"):
        return {"period": "last_n_hours", "n": 1 if "hour" in m.group(0) else 24}
    for m in t.take(r"\bsince\s+(" + "|".join(g.WEEKDAYS) + r")\b"):
        return {"period": "since_weekday", "weekday": g.WEEKDAYS.index(m.group(1))}
    for m in t.take(rf"\b(?:in|during|for|over)?\s*{g.MONTH_RE}(?!\s*\d)\b"):
        return {"period": "month", "month": g.MONTHS[m.group(1)]}
    return None


def _filters(t: g.Text, parsed: g.Parsed) -> None:
    methods, gateways, statuses, currencies, countries, decisions = [], [], [], [], [], []
    if t.take(r"\b(?:paid|pay|paying)\s+(?:with|by|using|via)\s+(?:a\s+)?cards?\b|\bcard(?: payments?)?\b|\bcards\b"):
        methods.append("card")
    if t.take(r"\bsolana wallets?(?: payments?)?\b|\bpaid (?:with|by|using|via) solana\b"):
        methods.append("solana_wallet")
    if t.take(r"\bpaid (?:with|by|using|via) amazon ?pay\b|\bamazon ?pay wallet\b"):
        methods.append("amazon_pay")
    gw = r"(stripe|amazon ?pay|solana)"
    for m in t.take(rf"\b(?:on|via|through|using|over|with|by)?\s*(?:the\s+)?{gw}(?:\s+gateway)?\b"):
        gateways.append(g.GATEWAYS[m.group(1).replace("amazonpay", "amazon pay")])
    for pattern, values in ((r"\b(?:fraud[- ]declined?s?|declined (?:for|as|by) fraud|blocked (?:for|by|as) fraud"
                             r"|fraud declines|fraud-blocked)\b", ("declined_fraud",)),
                            (r"\bpartially refunded\b|\bpartial refunds?\b", ("partially_refunded",)),
                            (r"\b(?:fully )?refunded\b|\brefunds\b", ("refunded", "partially_refunded")),
                            (r"\b(?:declined|declines|rejected|rejections|unsuccessful)\b", ("failed", "declined_fraud")),
                            (r"\b(?:failed|failures|gateway declines)\b", ("failed",)),
                            (r"\bcaptured\b", ("captured",)),
                            (r"\b(?:approved|successful|succeeded|accepted)\b",
                             ("captured", "refunded", "partially_refunded")),
                            (r"\bpending\b", ("pending",))):
        if t.take(pattern):
            statuses.extend(values)
    for m in t.take(r"\b(?:sent to |flagged for |held for |in )?(?:fraud |manual )?review(?:ed)?\b"):
        decisions.append("review")
    for m in t.take(r"\bfraud decision (approve|review|decline)\b"):
        decisions.append(m.group(1))
    for m in t.take(r"\b(" + "|".join(sorted(g.CURRENCY_WORDS, key=len, reverse=True)) + r")\b"):
        currencies.append(g.CURRENCY_WORDS[m.group(1)])
    for m in t.take(r"\b(?:in\s+)?(" + "|".join(c.lower() for c in g.CURRENCY_CODES) + r")\b"):
        currencies.append(m.group(1).upper())
    for m in t.take(r"\b(?:in|from)\s+(" + "|".join(sorted(g.COUNTRIES, key=len, reverse=True)) + r")\b"):
        countries.append(g.COUNTRIES[m.group(1)])
    for m in t.take(r"\b(?:country|countries)\s+([a-z]{2})\b"):
        countries.append(m.group(1).upper())
    parsed.methods, parsed.gateways = tuple(dict.fromkeys(methods)), tuple(dict.fromkeys(gateways))
    parsed.statuses, parsed.currencies = tuple(dict.fromkeys(statuses)), tuple(dict.fromkeys(currencies))
    parsed.countries, parsed.fraud_decisions = tuple(dict.fromkeys(countries)), tuple(dict.fromkeys(decisions))


def _amounts(t: g.Text, parsed: g.Parsed) -> None:
    def dec(s: str) -> Decimal:
        return Decimal(s.replace(",", "."))

    for m in t.take(rf"\b(?:amounts? )?between\s+[$€£]?{_AMOUNT}\s+and\s+[$€£]?{_AMOUNT}\b"):
        parsed.amounts.update(amount_gte=dec(m.group(1)), amount_lte=dec(m.group(2)))
    for words, key in ((r"at least|minimum of|no less than", "amount_gte"),
                       (r"over|above|more than|greater than|larger than|bigger than|exceeding", "amount_gt"),
                       (r"at most|no more than|up to", "amount_lte"),
                       (r"under|below|less than|smaller than", "amount_lt")):
        for m in t.take(rf"\b(?:{words})\s+[$€£]?{_AMOUNT}\b"):
            parsed.amounts[key] = dec(m.group(1))


def parse(question: str, today: date) -> g.Parsed:
    parsed = g.Parsed()
    zone = re.search(r"\b([A-Z][a-zA-Z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)\b", question)
    text = question.lower()
    if zone:
        parsed.timezone = zone.group(1)
        text = text.replace(zone.group(1).lower(), " ")
    t = g.Text(re.sub(r"[?!,;:()\"]", " ", text))
    if t.take(r"\b(?:in\s+)?utc\b|\b(?:in|on)?\s*(?:the\s+)?(?:utc|local|merchant) time\b|\btime zone\b"):
        parsed.timezone = parsed.timezone or "UTC"
    parsed.follow_up = bool(re.search(_FOLLOW_UP, text))
    for m in t.take(r"\b(?:p|percentile\s*)(50|90|95|99)\b|\b(50|90|95|99)(?:th)? percentile\b"):
        parsed.percentiles += (float(m.group(1) or m.group(2)),)
    if t.take(r"\bmedian\b"):
        parsed.percentiles += (50.0,)
    for name, pattern in g.METRICS:
        if t.take(pattern):
            parsed.metric = parsed.metric or name
    for m in t.take(rf"\btop\s+{g.NUM}\b|\b{g.NUM}\s+(?:most common|top|biggest|largest)\b"):
        parsed.top_n = g.number(m.group(1) or m.group(2))
        parsed.order = "desc"
    plural = bool(re.search(r"\b(?:reasons|codes|gateways|currencies|countries|methods|statuses|days|hours)\b", text))
    if t.take(r"\b(?:the\s+)?(?:most common|most frequent|main|top|biggest|leading|highest|most|best)\b"):
        parsed.order, parsed.top_n = "desc", parsed.top_n or (5 if plural else 1)
    if t.take(r"\b(?:the\s+)?(?:lowest|least|worst|bottom|fewest|smallest)\b"):
        parsed.order, parsed.top_n = "asc", parsed.top_n or (5 if plural else 1)
    reasons = t.take(r"\b(?:decline|failure|rejection)\s+(?:reasons?|codes?)\b|\bwhy (?:were|are) (?:payments )?declined\b")
    groups = [g.GROUPS[m.group(1)] for m in t.take(
        rf"\b(?:by|per|for each|each|across|broken down by|split by|grouped by|group by|which)\s+{g.GROUP_RE}\b")]
    if t.take(r"\bdaily\b|\beach day\b|\bday by day\b"):
        groups.append("day")
    if t.take(r"\bhourly\b|\beach hour\b|\bhour by hour\b"):
        groups.append("hour")
    if reasons:
        groups.append("reason")
    parsed.window = _window(t, today)
    _amounts(t, parsed)
    _filters(t, parsed)
    if reasons and not parsed.statuses:
        parsed.statuses = ("failed", "declined_fraud")
    for m in t.take(rf"\b{g.GROUP_RE}\b"):  # "top 5 gateways", "reasons" left after a ranking word
        if parsed.top_n is not None or parsed.order is not None:
            groups.append(g.GROUPS[m.group(1)])
        else:
            parsed.leftovers.append(m.group(1))
    parsed.group_by = tuple(dict.fromkeys(groups))
    parsed.leftovers += [w for w in t.words() if w.strip(".'") and w.strip(".'") not in g.STOPWORDS]
    return parsed
