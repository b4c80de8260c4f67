"""METRICS.md windows: half-open, in the merchant's time zone, never past now."""

from datetime import UTC, date, datetime

import pytest

from smartpay_chat.domain.plan import AggregatePlan, Window
from smartpay_chat.domain.windows import resolve

NOW = datetime(2026, 12, 2, 15, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(("window", "start", "end"), [
    ({"period": "today"}, "2026-12-02T00:00", "2026-12-02T15:30"),
    ({"period": "yesterday"}, "2026-12-01T00:00", "2026-12-02T00:00"),
    ({"period": "last_n_days", "n": 7}, "2026-11-25T15:30", "2026-12-02T15:30"),
    ({"period": "this_week"}, "2026-11-30T00:00", "2026-12-02T15:30"),
    ({"period": "last_week"}, "2026-11-23T00:00", "2026-11-30T00:00"),
    ({"period": "since_weekday", "weekday": 0}, "2026-11-30T00:00", "2026-12-02T15:30"),
    ({"period": "this_month"}, "2026-12-01T00:00", "2026-12-02T15:30"),
    ({"period": "last_month"}, "2026-11-01T00:00", "2026-12-01T00:00"),
    ({"period": "month", "month": 10}, "2026-10-01T00:00", "2026-11-01T00:00"),
    ({"period": "month", "month": 12}, "2026-12-01T00:00", "2026-12-02T15:30"),  # started, never past now
    ({"period": "month", "month": 12 - 11}, "2026-01-01T00:00", "2026-02-01T00:00"),
    ({"period": "between", "start_date": date(2026, 11, 1), "end_date": date(2026, 11, 7)},
     "2026-11-01T00:00", "2026-11-08T00:00"),  # both days included
])
def test_windows_in_utc(window, start, end):
    bounds = resolve(Window(**window), "UTC", NOW)
    assert (bounds.start, bounds.end) == (datetime.fromisoformat(start + "+00:00"),
                                          datetime.fromisoformat(end + "+00:00"))


def test_the_merchant_time_zone_moves_midnight():
    bounds = resolve(Window(period="yesterday"), "Europe/Berlin", NOW)
    assert bounds.start.isoformat() == "2026-11-30T23:00:00+00:00"
    assert bounds.end.isoformat() == "2026-12-01T23:00:00+00:00"


def test_a_month_in_the_future_of_this_year_is_last_years():
    assert resolve(Window(period="month", month=12), "UTC", datetime(2026, 11, 5, tzinfo=UTC)).start.year == 2025


def test_invalid_windows_and_zones_are_refused():
    with pytest.raises(ValueError):
        Window(period="last_n_days")
    with pytest.raises(ValueError):
        Window(period="between", start_date=date(2026, 11, 7), end_date=date(2026, 11, 1))
    with pytest.raises(ValueError):
        AggregatePlan(metric="count", timezone="Mars/Olympus")


def test_a_money_metric_is_always_per_currency():
    assert AggregatePlan(metric="volume", group_by=("gateway",)).group_keys == ("gateway", "currency")
    assert AggregatePlan(metric="count", group_by=("gateway",)).group_keys == ("gateway",)
