"""METRICS.md windows -> half-open [start, end) UTC bounds on creation time, in the merchant's time zone,
never past now. Pure: `now` is an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from smartpay_chat.domain.plan import Window


@dataclass(frozen=True)
class Bounds:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _month_start(year: int, month: int, zone: ZoneInfo) -> datetime:
    return datetime(year, month, 1, tzinfo=zone)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def resolve(window: Window, tz: str, now: datetime) -> Bounds:
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    today = local_now.date()
    p = window.period
    if p == "today":
        start, end = _midnight(today, zone), local_now
    elif p == "yesterday":
        start, end = _midnight(today - timedelta(days=1), zone), _midnight(today, zone)
    elif p == "last_n_days":
        start, end = now - timedelta(days=window.n), now
    elif p == "last_n_hours":
        start, end = now - timedelta(hours=window.n), now
    elif p in ("this_week", "last_week"):
        monday = today - timedelta(days=today.weekday())
        if p == "this_week":
            start, end = _midnight(monday, zone), local_now
        else:
            start, end = _midnight(monday - timedelta(days=7), zone), _midnight(monday, zone)
    elif p == "since_weekday":
        back = (today.weekday() - window.weekday) % 7
        start, end = _midnight(today - timedelta(days=back), zone), local_now
    elif p == "this_month":
        start, end = _month_start(today.year, today.month, zone), local_now
    elif p == "last_month":
        year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
        start, end = _month_start(year, month, zone), _month_start(today.year, today.month, zone)
    elif p == "month":  # the latest such month that has started
        year = today.year if window.month <= today.month else today.year - 1
        start, end = _month_start(year, window.month, zone), _month_start(*_next_month(year, window.month), zone)
    elif p == "between":  # both days included
        start, end = _midnight(window.start_date, zone), _midnight(window.end_date + timedelta(days=1), zone)
    else:  # on_date
        start, end = _midnight(window.start_date, zone), _midnight(window.start_date + timedelta(days=1), zone)
    start_utc, end_utc = start.astimezone(UTC), min(end.astimezone(UTC), now.astimezone(UTC))
    return Bounds(start_utc, max(start_utc, end_utc))
