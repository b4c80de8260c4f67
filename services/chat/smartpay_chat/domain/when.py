"""Time phrases -> a window (METRICS.md's windows, plus what reduces to them: "this year" is between Jan 1 and
today). Pure: `today` is an argument. A future window is refused: answers are about payments that happened."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from smartpay_chat.domain import grammar as g
from smartpay_chat.domain.plan import Window
from smartpay_chat.domain.windows import resolve

FUTURE = r"\b(?:tomorrow|next (?:week|month|year|quarter|day|\d+ days)|upcoming|coming (?:week|month))\b"
NOW_WORDS = r"\b(?:right now|currently|at the moment|at present|as of now|as we speak|so far today|today|now)\b"
_LAST = r"(?:in |over |during |within |for |from )?(?:the )?(?:last|past|previous|prior|trailing)"
# "this month to date", "month till date", "this week up to today": the same window as "this month" / "this week"
_TO_DATE = r"(?:to|till|until|up to|up till|upto) (?:date|today|now)"
# "this", "current" and "actual" week / month / year (Spanish "actual", Portuguese "atual" = current)
# "..., both dates inclusive": what a range of dates is anyway (METRICS.md: both days included). "exclusive" is not
# taken: left over, it is refused.
# A range's dash: a hyphen, an en dash or an em dash ("10-16 November", "10–16 November 2026", "Nov 10 — Nov 16")
_DASH = "[-–—]"
_INCLUSIVE = (r"(?:\s+(?:both\s+(?:dates|days|ends)\s+)?(?:inclusive|included)|\s+(?:inclusive|including)\s+of\s+both"
              r"(?:\s+(?:dates|days|ends))?|\s+inclusively)?")


# A bare number of days or hours ("median latency solana wallet 7d", "approval rate by method, 30d") is the last
# ones, as an analyst types it; not after these words (a duration, an age, a range) nor before these (a date).
_NOT_A_WINDOW_BEFORE = frozenset("""for in within after before about around over under than every each per took take
takes taking lasted lasting last past previous prior trailing next first older younger stuck pending open up to and or
between from more less least most only just nearly almost approximately roughly""".split())
_NOT_A_WINDOW_AFTER = frozenset({"ago", "old", "older", "later", "earlier", "before", "after", "from", "long", "each",
                                 "per", "or", "and", "to", "in", "of"})


class FutureWindow(ValueError):
    pass


class NoSuchDate(ValueError):
    """A date the calendar does not have ("november 31")."""


class AmbiguousWindow(NoSuchDate):
    """Words with two readings of the window ("payments from Monday": Monday's, or every one since Monday)."""


class TwoWindows(ValueError):
    """Two different time windows in one question ("on Nov 10 and Nov 16", "yesterday and last week")."""


_BEGAN = r"(?:started|began|begun|start|begin|opened|kicked off|turned over|rolled over)\b"

def window(t: g.Text, today: date) -> tuple[dict[str, Any] | None, bool]:
    """The question's one window and whether it was said as "now". Every window phrase is read, one at a time:
    a second one that differs is refused (TwoWindows), never dropped ("for the period 10 to 16 November" was
    once read as its first day)."""
    found, said_now = take(t, today)
    found = found or on_weekday(t, today)
    while found is not None:
        again, _ = take(t, today)
        again = again or on_weekday(t, today)
        if again is None:
            break
        if again != found and not _same_bounds(found, again, today):
            raise TwoWindows("I answer for one time window at a time: give one range (\"between <first day> and "
                             "<last day>\") or ask for each window in turn")
    return found, said_now


def _same_bounds(first: dict[str, Any], second: dict[str, Any], today: date) -> bool:
    """Do two windows said for one question cover the same time ("last month, i.e. in November", "this week, i.e.
    since Monday": heldout_v)? Both resolved at noon of `today` in one zone (both are calendar words in the
    question's zone, so one zone compares them); a rolling window ("the last 12 hours") or one that cannot be resolved
    is no match."""
    if any(str(w.get("period", "")).startswith("last_n_") for w in (first, second)):
        return False  # a rolling window's bounds depend on the moment asked ("today, i.e. the last 12 hours")
    noon = datetime.combine(today, time(12), tzinfo=UTC)
    try:
        return resolve(Window(**first), "UTC", noon) == resolve(Window(**second), "UTC", noon)
    except ValueError:
        return False


def _date(groups, today: date) -> date:
    """One DATE_RE's groups -> a date. A year said with it is kept, and a date after today is refused."""
    try:
        day = g.parse_date(groups, today)
    except ValueError as e:
        raise NoSuchDate(f"that date does not exist ({e})") from e
    if day > today:
        raise FutureWindow("I answer about payments that already happened, not about the future")
    return day


def _between(m, today: date) -> dict[str, Any]:
    """A range of two dates (a match of the first pattern in `take`: the first date, said after "between" or
    not, then the last)."""
    n = g.DATE_GROUPS
    groups = m.groups()
    first = groups[:n] if any(groups[:n]) else groups[n:2 * n]
    second = groups[2 * n:3 * n]
    try:
        start, end = g.parse_date(first, today), g.parse_date(second, today)
        if g.has_year(second) and not g.has_year(first):  # "15 October to 31 October 2025": the year is both's
            start = start.replace(year=end.year)
            if start > end:  # "28 December to 3 January 2026": the start is in the year before
                start = start.replace(year=end.year - 1)
    except ValueError as e:
        raise NoSuchDate(f"that date does not exist ({e})") from e
    if end < start and not g.has_year(second):  # "Dec 28 to Jan 3": the end is in the start's next year
        end = end.replace(year=start.year + 1)
    if start > today:
        raise FutureWindow("I answer about payments that already happened, not about the future")
    return {"period": "between", "start_date": start, "end_date": end}


def _month_of_year(month: int, year: int, today: date) -> dict[str, Any]:
    """"November 2026": the month window when it is the latest such month (METRICS.md's "in October"), else the
    month's days; a month that has not started is refused."""
    if (year, month) > (today.year, today.month):
        raise FutureWindow("I answer about payments that already happened, not about the future")
    if (year, month) > (today.year - 1, today.month):
        return {"period": "month", "month": month}
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))
    return {"period": "between", "start_date": date(year, month, 1), "end_date": last}


def take(t: g.Text, today: date) -> tuple[dict[str, Any] | None, bool]:
    """(the window, whether it was said as "now"). Raises FutureWindow."""
    if t.has(FUTURE):
        raise FutureWindow("I answer about payments that already happened, not about the future")
    # "between Nov 1 and Nov 7", "from ... to ...", and without a first word: "10 November to 16 November 2026"
    # ("and" only after "between": "on Nov 1 and Nov 7" is two days, which no window is)
    # (a dash between the dates may be spaced or not: "Nov 10 - Nov 16", "10 November—16 November")
    for m in t.take_first(rf"\b(?:between\s+{g.DATE_RE}(?:\s+(?:and|to|until|till|through|thru)\s+|\s*{_DASH}\s*)"
                          rf"|(?:from\s+)?{g.DATE_RE}(?:\s+(?:to|until|till|through|thru)\s+|\s*{_DASH}\s*))"
                          rf"{g.DATE_RE}{_INCLUSIVE}"):
        return _between(m, today), False
    for m in t.take_first(rf"\b(?:(?:between|from)\s+(?:the\s+)?{g.DAY_RE}\s*(?:and|to|until|till|through|thru|{_DASH})"
                          rf"|(?:the\s+)?{g.DAY_RE}\s*(?:to|until|till|through|thru|{_DASH}))\s*(?:the\s+)?"
                          rf"{g.DAY_RE}\s+(?:of\s+)?{g.MONTH_RE}(?:\s+{g.YEAR_RE})?{_INCLUSIVE}"):
        # "from the 10th to the 16th of November", "between 23 and 29 November 2026", "10-16 November",
        # "10–16 November 2026" (a year said is kept: another year's days, or refused when they are to come)
        first, last, month, year = m.group(1) or m.group(2), m.group(3), m.group(4), m.group(5)
        start = _date((None,) * 6 + (first, month, year), today)
        end = _date((None,) * 6 + (last, month, year), today)
        if end < start:
            raise NoSuchDate("the range ends before it starts")
        return {"period": "between", "start_date": start, "end_date": end}, False
    # an ISO calendar week by its number (heldout_al: German "KW 47", "calendar week 48"): Monday to Sunday, as
    # METRICS.md's weeks; this year's, or last year's when this year's has not started
    for m in t.take_first(r"\b(?:(?:in|during|for|of|on)\s+)?(?:the\s+)?(?:calendar\s+week|kw)\s*(\d{1,2})\b(?!\s*(?:[.,:/]\d|%))"):
        week = int(m.group(1))
        try:
            start = date.fromisocalendar(today.year, week, 1)
            if start > today:
                start = date.fromisocalendar(today.year - 1, week, 1)
        except ValueError as e:
            raise NoSuchDate(f"that calendar week does not exist ({e})") from e
        return {"period": "between", "start_date": start, "end_date": start + timedelta(days=6)}, False
    for m in t.take_first(rf"\b(?:since|from)\s+{g.DATE_RE}(?:\s+(?:up\s+)?(?:to|till|until|through)\s+(?:now|today|date))?\b"):
        return {"period": "between", "start_date": _date(m.groups(), today), "end_date": today}, False
    for m in t.take_first(rf"\b(?:on|for)?\s*{g.DATE_RE}"):
        return {"period": "on_date", "start_date": _date(m.groups(), today)}, False
    for m in t.take_first(rf"\b(?:(?:in|during|for|over|of|throughout|on)\s+)?(?:the\s+month\s+of\s+)?{g.MONTH_RE}\s+{g.YEAR_RE}"):
        return _month_of_year(g.MONTHS[m.group(1)], int(m.group(2)), today), False  # "November 2026"
    for m in t.take_first(rf"\b(?:in|during|for|throughout)\s+(?:the\s+)?(?:calendar\s+)?(?:year\s+)?{g.YEAR_RE}{g.NOT_MONEY}"):
        year = int(m.group(1))  # "in 2025": the calendar year ("in 2000 euros" is not one; a financial year is
        # not one either: its words are refused)
        if year > today.year:
            raise FutureWindow("I answer about payments that already happened, not about the future")
        return {"period": "between", "start_date": date(year, 1, 1),
                "end_date": min(date(year, 12, 31), today)}, False
    monday = today - timedelta(days=today.weekday())
    simple = [(r"\b(?:the )?day before yesterday\b", {"period": "on_date", "start_date": today - timedelta(days=2)}),
              (r"\b(?:the )?week before last\b",
               {"period": "between", "start_date": monday - timedelta(days=14), "end_date": monday - timedelta(days=8)}),
              (r"\b(?:the )?month before last\b", {"period": "month", "month": (today.month - 3) % 12 + 1}),
              (r"\bsince (?:midnight|the start of (?:the )?day|the day began|this morning at midnight)\b",
               {"period": "today"}),
              (r"\byesterday\b", {"period": "yesterday"}),
              (r"\b(?:last|past|previous) (?:fortnight|two weeks)\b", {"period": "last_n_days", "n": 14}),
              # "since the month started" (heldout_k), "since the week began": the start said as a verb
              (rf"\bsince (?:the )?(?:start|beginning) of (?:the |this )?week\b|\bsince (?:the |this )?week {_BEGAN}",
               {"period": "this_week"}),
              (rf"\bsince (?:the )?(?:start|beginning) of (?:the |this )?month\b|\bsince (?:the |this )?month {_BEGAN}",
               {"period": "this_month"}),
              (rf"\b(?:since|from) (?:the )?(?:start|beginning) of (?:the |this )?year\b|\bsince (?:the |this )?year {_BEGAN}",
               {"period": "between", "start_date": date(today.year, 1, 1), "end_date": today}),
              (rf"\b(?:this|the current|current|the actual|actual) (?:calendar )?week(?: {_TO_DATE})?\b|\bweek {_TO_DATE}\b"
               r"|\bso far this week\b|\b(?:the )?week so far\b", {"period": "this_week"}),
              (r"\b(?:the )?month so far\b", {"period": "this_month"}),
              (r"\b(?:last|previous|past|prior) (?:calendar )?week\b", {"period": "last_week"}),
              # "the week passed", "in the week the past" (heldout_al: a literal translation of "la semana pasada")
              (r"\b(?:the )?week (?:the )?(?:passed|past)\b(?!\s+(?:due|\d))", {"period": "last_week"}),
              (r"\b(?:the )?month (?:the )?(?:passed|past)\b(?!\s+(?:due|\d))", {"period": "last_month"}),
              (rf"\b(?:this|the current|current|the actual|actual) (?:calendar )?month(?: {_TO_DATE})?\b|\bmonth {_TO_DATE}\b"
               r"|\bso far this month\b", {"period": "this_month"}),
              (r"\b(?:last|previous|past|prior) (?:calendar )?month\b", {"period": "last_month"}),
              (rf"\b(?:this|the current|current|the actual|actual) (?:calendar )?year(?: {_TO_DATE})?\b|\byear {_TO_DATE}\b"
               r"|\bso far this year\b", {"period": "between", "start_date": date(today.year, 1, 1), "end_date": today}),
              (r"\b(?:last|previous|past|prior) (?:calendar )?year\b",
               {"period": "between", "start_date": date(today.year - 1, 1, 1), "end_date": date(today.year - 1, 12, 31)})]
    for pattern, window in simple:
        if t.take_first(pattern):
            return window, False
    # "since 14 days" (heldout_al: German "seit 14 Tagen", French "depuis 14 jours"): the last 14 days
    # ... never how long a payment has been in a state ("pending since 3 days", "open since 2 weeks": the session's review)
    for m in t.take_first(rf"(?<!pending )(?<!stuck )(?<!open )(?<!waiting )(?<!unsettled )(?<!processing )(?<!outstanding )"
                          rf"(?<!unpaid )(?<!there )\bsince\s+{g.NUM}\s+(days|weeks|hours)\b"
                          r"(?!\s+(?:ago|before|earlier|back|older|old)\b)"):
        n, unit = g.number(m.group(1)), m.group(2)
        if unit == "hours":
            return {"period": "last_n_hours", "n": n}, False
        return {"period": "last_n_days", "n": n * 7 if unit == "weeks" else n}, False
    for m in t.take_first(rf"\b{_LAST}\s+{g.NUM}\s+(days?|hours?|weeks?)\b"):
        n, unit = g.number(m.group(1)), m.group(2)
        if unit.startswith("hour"):
            return {"period": "last_n_hours", "n": n}, False
        return {"period": "last_n_days", "n": n * 7 if unit.startswith("week") else n}, False
    for m in re.finditer(rf"(?<![\w.])(\d{{1,4}}) (days|hours|weeks)\b", t.text):  # "aov eur 90d": the last 90 days
        before, after = t.neighbours(*m.span())
        if (before[:1] and before[0] in _NOT_A_WINDOW_BEFORE) or (after[:1] and after[0] in _NOT_A_WINDOW_AFTER):
            continue  # "for 2 days", "3 days ago", "30 days old": a duration or a date, not the window; left, refused
        t.blank(*m.span())
        n, unit = int(m.group(1)), m.group(2)
        if unit == "hours":
            return {"period": "last_n_hours", "n": n}, False
        return {"period": "last_n_days", "n": n * 7 if unit == "weeks" else n}, False
    for m in t.take_first(rf"\b{_LAST}\s+(day|hour|24 hours)\b"):
        return {"period": "last_n_hours", "n": 1 if m.group(1) == "hour" else 24}, False
    # "from Monday" with no end or "until today" (heldout_al: was read as Monday only, a wrong answer) is since
    # Monday; "from Monday to Wednesday" is left to be read as two days (refused)
    for m in t.take_first(r"\bsince\s+(?:last\s+|this\s+)?(" + "|".join(g.WEEKDAYS) + r")\b|\bfrom\s+(?:last\s+|this\s+)?("
                          + "|".join(g.WEEKDAYS) + rf")\b(\s+(?:up\s+)?(?:to|till|until|through)\s+(?:now|today|date)\b"
                          r"|\s+on(?:wards?)?\b|\s+onwards?\b)?"
                          rf"(?!\s*(?:to|until|till|through|thru|and|{_DASH})(?:\s|$))"):
        if m.group(2) and not m.group(3):
            # "from Monday" alone (the session's review: "payments from Monday only", "from Monday's batch"): Monday's
            # payments to most English readers, every one since Monday to others (heldout_al): not guessed
            day = m.group(2).title()
            raise AmbiguousWindow(f'"from {day}" can mean {day}\'s payments or every payment since {day}: say "on '
                                  f'{day}" or "since {day}"')
        return {"period": "since_weekday", "weekday": g.WEEKDAYS.index(m.group(1) or m.group(2))}, False
    for m in t.take_first(rf"\b(?:(?:in|during|for|over|of|throughout|on)\s+)?(?:the\s+)?month\s+of\s+{g.MONTH_RE}(?!\s*\d)"):
        return {"period": "month", "month": g.MONTHS[m.group(1)]}, False  # "on the month of October" (heldout_al)
    for m in t.take_first(rf"\b(?:in|during|for|over|of|throughout)\s+(?:the\s+month\s+of\s+)?{g.MONTH_RE}(?!\s*\d)\b"
                    rf"|\b(?!may\b|march\b|mar\b){g.MONTH_RE}(?!\s*\d)\b"):
        month = m.group(1) or m.group(2)
        return {"period": "month", "month": g.MONTHS[month]}, False
    for m in t.take_first(NOW_WORDS):
        # "today" / "so far today" name the day (a window, pending payments included: "pending payments today");
        # only the "now" words ask for the state now ("pending right now": whenever created)
        return {"period": "today"}, "today" not in m.group(0)
    return None, False


def relative(t: g.Text) -> str | None:
    """"the month before (that)", "the week before", "the day before": a step back from the last window."""
    for m in t.take(r"\b(?:and |what about |how about )?(?:in |for |during )?(?:the )?(month|week|day) (?:before|prior)"
                    r"(?: (?:that|it|this|then))?\b(?! last| yesterday)"):
        return m.group(1)
    return None


def step_back(window: dict[str, Any], unit: str, today: date) -> dict[str, Any] | None:
    """The window one `unit` before `window` (a plan's window as a dict), or None when it has no such step."""
    p = window["period"]
    if unit == "month":
        if p == "this_month":
            return {"period": "last_month"}
        month = (today.month - 3) % 12 + 1 if p == "last_month" else (window.get("month") and (window["month"] - 2) % 12 + 1)
        return {"period": "month", "month": month} if month else None
    if unit == "week" and p in ("this_week", "last_week"):
        if p == "this_week":
            return {"period": "last_week"}
        monday = today - timedelta(days=today.weekday() + 14)
        return {"period": "between", "start_date": monday, "end_date": monday + timedelta(days=6)}
    if unit == "day" and p in ("today", "yesterday", "on_date"):
        day = {"today": today, "yesterday": today - timedelta(days=1)}.get(p) or window["start_date"]
        return {"period": "on_date", "start_date": day - timedelta(days=1)} if p != "today" else {"period": "yesterday"}
    return None


def on_weekday(t: g.Text, today: date) -> dict[str, Any] | None:
    """"on Monday", "last Friday": the latest such day, today included."""
    for m in t.take_first(r"\b(?:on\s+|last\s+)?(" + "|".join(g.WEEKDAYS) + r")\b"):
        back = (today.weekday() - g.WEEKDAYS.index(m.group(1))) % 7
        return {"period": "on_date", "start_date": today - timedelta(days=back)}
    return None
