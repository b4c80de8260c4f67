"""Per-endpoint caps: at most `max_concurrency` attempts in flight to one endpoint and at most
`rate_per_second` attempts a second (a token bucket holding `burst`), counted over every deliverer and
consumer instance together (the shared state lives in Redis: adapters/redis_gate.py).

An attempt over a cap is not made and not counted: it is put back on the delivery queue for later
(`deferral_seconds`), with the same attempt number, so a merchant who caps us loses nothing and a
burst to one endpoint waits instead of hammering it."""

from __future__ import annotations

import random
from dataclasses import dataclass

MIN_DEFERRAL_SECONDS = 1.0  # the delivery queue's delay granularity


@dataclass(frozen=True)
class EndpointCaps:
    max_concurrency: int = 8
    rate_per_second: float = 25.0
    burst: int = 50
    lease_seconds: float = 15.0  # a slot whose holder died is free again after this

    def __post_init__(self) -> None:
        if self.max_concurrency < 1 or self.rate_per_second <= 0 or self.burst < 1 or self.lease_seconds <= 0:
            raise ValueError("caps need max_concurrency >= 1, rate > 0, burst >= 1 and a positive lease")


@dataclass(frozen=True)
class Admission:
    """The gate's answer: `token` names the slot to release after the attempt; None: not admitted."""

    token: str | None
    over: str = ""  # "concurrency" or "rate" when not admitted
    retry_after_seconds: float = 0.0

    @property
    def admitted(self) -> bool:
        return self.token is not None


def deferral_seconds(admission: Admission, rng: random.Random | None = None) -> float:
    """When to try a refused attempt again: when the bucket has a token (rate), or soon (a slot frees when
    an attempt ends), spread by up to 50 % so the deferred ones do not come back all at once."""
    base = max(MIN_DEFERRAL_SECONDS, admission.retry_after_seconds)
    return base * (1 + 0.5 * (rng or random).random())
