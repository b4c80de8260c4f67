"""Gateway health as a circuit breaker over a sliding error-rate window (pure: the caller gives the time).

closed --(window error rate >= threshold over >= min_requests)--> open
open --(cooldown elapsed)--> half_open: a small share of traffic probes the gateway
half_open --(probe_successes ok results)--> closed (window reset) | --(probe_max_failures errors)--> open
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

State = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class HealthConfig:
    window_seconds: float = 60.0
    bucket_seconds: float = 5.0
    min_requests: int = 20
    error_threshold: float = 0.5
    cooldown_seconds: float = 30.0
    probe_fraction: float = 0.05
    probe_successes: int = 5
    probe_max_failures: int = 2


@dataclass(frozen=True)
class WindowStats:
    attempts: int = 0
    errors: int = 0

    @property
    def error_rate(self) -> float:
        return self.errors / self.attempts if self.attempts else 0.0


@dataclass(frozen=True)
class Breaker:
    state: State = "closed"
    opened_at: float = 0.0
    probe_ok: int = 0
    probe_fail: int = 0

    def status(self, now: float, cfg: HealthConfig) -> State:
        if self.state == "open" and now - self.opened_at >= cfg.cooldown_seconds:
            return "half_open"
        return self.state

    def after_result(self, gateway_error: bool, window: WindowStats, now: float,
                     cfg: HealthConfig) -> tuple[Breaker, bool]:
        """The breaker after one attempt's result, and whether the error window must be reset."""
        status = self.status(now, cfg)
        if status == "closed":
            if window.attempts >= cfg.min_requests and window.error_rate >= cfg.error_threshold:
                return Breaker("open", now), False
            return self, False
        if status == "open":
            return self, False
        if gateway_error:
            failures = self.probe_fail + 1
            if failures >= cfg.probe_max_failures:
                return Breaker("open", now), False
            return replace(self, state="half_open", probe_fail=failures), False
        successes = self.probe_ok + 1
        if successes >= cfg.probe_successes:
            return Breaker("closed"), True
        return replace(self, state="half_open", probe_ok=successes), False


@dataclass(frozen=True)
class GatewayHealth:
    window: WindowStats = WindowStats()
    breaker: Breaker = Breaker()

    def status(self, now: float, cfg: HealthConfig) -> State:
        return self.breaker.status(now, cfg)


_HEALTHY = GatewayHealth()


@dataclass(frozen=True)
class Guarded:
    """What the breaker leaves of the eligible gateways: the usable ones (all of them when every circuit is
    open), those of them probing (half open), and why, in words."""

    usable: tuple[str, ...]
    probing: tuple[str, ...]
    notes: tuple[str, ...]


def guard(eligible: Sequence[str], health: Mapping[str, GatewayHealth], now: float, cfg: HealthConfig) -> Guarded:
    """The health guard every router gets (the bandit's Router and, in the simulator, every baseline)."""
    status = {g: health.get(g, _HEALTHY).status(now, cfg) for g in eligible}
    notes = []
    usable = [g for g in eligible if status[g] != "open"]
    if not usable:
        usable = list(eligible)
        notes.append("every eligible gateway's circuit is open: routing degraded to all of them")
    elif len(usable) < len(eligible):
        notes.append("circuit open: " + ", ".join(g for g in eligible if status[g] == "open"))
    probing = [g for g in usable if status[g] == "half_open"]
    if probing:
        notes.append("probing: " + ", ".join(probing))
    return Guarded(tuple(usable), tuple(probing), tuple(notes))


def with_probes(names: Sequence[str], pmf: Sequence[float], probing: Collection[str], share: float) -> list[float]:
    """Probing gateways get a fixed `share` each; the rest of the mass follows `pmf` over the closed ones.
    Unchanged when nothing probes or everything does."""
    if not probing or len(probing) >= len(names):
        return list(pmf)
    closed_mass = sum(p for n, p in zip(names, pmf, strict=True) if n not in probing)
    rest = 1.0 - share * len(probing)
    uniform = rest / (len(names) - len(probing))
    return [share if n in probing else (rest * p / closed_mass if closed_mass > 0 else uniform)
            for n, p in zip(names, pmf, strict=True)]
