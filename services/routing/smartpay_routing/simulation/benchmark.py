"""The routing comparison the benchmark and `smartpay routing simulate` run: every router on the same
seeded environments, summarised with confidence intervals over seeds, and the regret curve."""

from __future__ import annotations

import json
from pathlib import Path

from rich.progress import Progress
from rich.table import Table

from smartpay_routing.domain.catalog import Catalog
from smartpay_routing.simulation.environment import GatewayEnvironment, Outage
from smartpay_routing.simulation.policies import (NO_BREAKER, SlidingWindowSuccessRate, StaticRules, UniformRandom,
                                                  VowpalBandit, WithBreaker)
from smartpay_routing.simulation.runner import Trace, regret_curve, run, summarise

ROUTERS = ("static_rules", "random", "success_rate_20pct", "vw_bandit")
BREAKER = "+breaker"
# Every router with and without the same health circuit breaker; `vw_bandit+breaker` is what production runs.
POLICIES = tuple(f"{name}{suffix}" for name in ROUTERS for suffix in ("", BREAKER))


def _make(name: str, catalog: Catalog, seed: int):
    base, breaker = name.removesuffix(BREAKER), name.endswith(BREAKER)
    if base == "vw_bandit":  # the service's own guard (not the wrapper): the Router runs it
        return VowpalBandit(catalog, seed, name=name) if breaker else \
            VowpalBandit(catalog, seed, health=NO_BREAKER, name=name)
    inner = {"static_rules": lambda: StaticRules(), "random": lambda: UniformRandom(seed),
             "success_rate_20pct": lambda: SlidingWindowSuccessRate(catalog, seed)}[base]()
    return WithBreaker(inner, seed) if breaker else inner


def compare(catalog: Catalog, seeds: list[int], rounds: int, outage_gateway: str, progress: Progress | None = None,
            png: Path | None = None, log_out: Path | None = None, policies: tuple[str, ...] = POLICIES) -> dict:
    task = progress.add_task(f"simulating ({outage_gateway} outage)", total=len(seeds) * len(policies) * rounds) \
        if progress else None
    tick = (lambda n: progress.advance(task, n)) if progress else None  # noqa: E731
    traces: list[Trace] = []
    log: list[dict] | None = [] if log_out else None
    for seed in seeds:
        for name in policies:
            env = GatewayEnvironment(catalog, seed, rounds, Outage(outage_gateway))
            traces.append(run(env, _make(name, catalog, seed), tick=tick,
                              log=log if (name == "random" and seed == seeds[0]) else None))
    if log_out and log is not None:
        log_out.write_text("".join(json.dumps(r) + "\n" for r in log))
    if png:
        regret_curve(traces, png, f"Cumulative regret, {outage_gateway} outage, mean and 95% CI over "
                                  f"{len(seeds)} seeds")
    return {"summary": summarise(traces), "traces": traces}


def _fmt(metric: dict, scale: float = 1.0, digits: int = 3) -> str:
    if metric.get("mean") is None:
        return "n/a"
    low, high = metric["ci95"]
    return f"{metric['mean'] * scale:.{digits}f} [{low * scale:.{digits}f}, {high * scale:.{digits}f}]"


def _recovery(metric: dict, seeds: int) -> str:
    got = metric["recovered_seeds"]
    if got == 0:
        return f"not within the outage (0/{seeds} seeds)"
    return f"{metric['mean']:.0f} (max {max(r for r in metric['per_seed'] if r is not None)}; {got}/{seeds} seeds)"


def rows(summary: dict) -> list[list[str]]:
    out = []
    for name, m in summary.items():
        seeds = m["approval_rate"]["n"]
        out.append([name, _fmt(m["approval_rate"], 100, 2), _fmt(m["approval_rate_outside_outage"], 100, 2),
                    _fmt(m["mean_reward"], 1, 4), _fmt(m["cumulative_regret"], 1, 0),
                    _recovery(m["recovery_decisions"], seeds)])
    return out


HEADERS = ["router", "approval % [95% CI]", "approval % outside outage", "mean reward", "cumulative regret",
           "decisions to recover"]


def table(summary: dict, title: str) -> Table:
    t = Table(title=title)
    for h in HEADERS:
        t.add_column(h)
    for row in rows(summary):
        t.add_row(*row)
    return t


def markdown(summary: dict) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(summary)]
    return "\n".join(lines)
