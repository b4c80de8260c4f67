"""The retry schedule: exponential backoff with additive jitter, spanning more than 24 hours.

Attempt 1 is immediate; attempt n+1 waits `min(cap, base * factor**(n-1))` seconds plus up to
`jitter` of that (never less, so the schedule's span is a guaranteed minimum). With the defaults
(5 s, x4, capped at 10 h, 10 attempts) the retries wait at least 5 s, 20 s, 80 s, 320 s, 21 min,
85 min, 5.7 h, 10 h, 10 h: 27.6 hours before a delivery is given up."""

from __future__ import annotations

import random
from dataclasses import dataclass

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RetrySchedule:
    base_seconds: float = 5.0
    factor: float = 4.0
    cap_seconds: float = 36000.0
    max_attempts: int = 10
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.factor < 1 or self.cap_seconds < self.base_seconds:
            raise ValueError("backoff needs base > 0, factor >= 1, cap >= base")
        if self.max_attempts < 1 or not 0 <= self.jitter <= 1:
            raise ValueError("backoff needs max_attempts >= 1 and jitter within [0, 1]")

    def base_delay(self, attempts_made: int) -> float:
        """The delay before attempt `attempts_made + 1`, without jitter (attempts_made >= 1)."""
        return min(self.cap_seconds, self.base_seconds * self.factor ** (attempts_made - 1))

    def next_delay(self, attempts_made: int, rng: random.Random | None = None) -> float | None:
        """Seconds until the next attempt after `attempts_made` failed ones; None: give up."""
        if attempts_made >= self.max_attempts:
            return None
        base = self.base_delay(attempts_made)
        return base * (1 + self.jitter * (rng or random).random())

    def minimum_span_seconds(self) -> float:
        """The shortest time from the first to the last attempt (every jitter at 0)."""
        return sum(self.base_delay(n) for n in range(1, self.max_attempts))
