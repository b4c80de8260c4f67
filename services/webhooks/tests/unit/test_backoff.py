import random

import pytest

from smartpay_webhooks.domain.backoff import DAY_SECONDS, RetrySchedule


def test_the_default_schedule_spans_more_than_a_day_at_its_shortest():
    schedule = RetrySchedule()
    assert schedule.minimum_span_seconds() >= DAY_SECONDS
    assert [schedule.base_delay(n) for n in range(1, 10)] == [5, 20, 80, 320, 1280, 5120, 20480, 36000, 36000]


def test_jitter_only_adds_and_stays_within_its_share():
    schedule, rng = RetrySchedule(), random.Random(7)
    for made in range(1, schedule.max_attempts):
        delays = [schedule.next_delay(made, rng) for _ in range(200)]
        base = schedule.base_delay(made)
        assert all(base <= d <= base * 1.25 for d in delays)
        assert len(set(delays)) > 100  # jittered, not a constant


def test_no_retry_after_the_last_attempt():
    schedule = RetrySchedule(max_attempts=3)
    assert schedule.next_delay(2) is not None
    assert schedule.next_delay(3) is None


def test_a_schedule_that_makes_no_sense_is_refused():
    with pytest.raises(ValueError):
        RetrySchedule(base_seconds=0)
    with pytest.raises(ValueError):
        RetrySchedule(jitter=2)
