"""Run routers through the environment: per-round expected regret against the oracle, realised approvals
and rewards, recovery after the outage; several seeds with confidence intervals; the regret curve."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartpay_routing.domain import reward as rewards
from smartpay_routing.domain.errors import NoEligibleGateway
from smartpay_routing.simulation.environment import GatewayEnvironment
from smartpay_routing.simulation.policies import SimPolicy

RECOVERY_WINDOW = 100
RECOVERY_TOLERANCE = 0.05
_T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 6: 2.45, 7: 2.36, 8: 2.31, 9: 2.26, 10: 2.23}


@dataclass
class Trace:
    policy: str
    seed: int
    approved: np.ndarray
    reward: np.ndarray
    expected: np.ndarray
    oracle: np.ndarray
    outage: tuple[int, int]

    @property
    def regret(self) -> np.ndarray:
        return self.oracle - self.expected

    def metrics(self) -> dict:
        start, end = self.outage
        outside = np.ones(len(self.approved), bool)
        outside[start:end] = False
        return {"approval_rate": float(self.approved.mean()), "mean_reward": float(self.reward.mean()),
                "mean_expected_reward": float(self.expected.mean()),
                "approval_rate_outside_outage": float(self.approved[outside].mean()),
                "cumulative_regret": float(self.regret.sum()), "recovery_decisions": self.recovery()}

    def recovery(self) -> int | None:
        """Decisions from the outage's start until the mean regret of the next RECOVERY_WINDOW decisions is
        back within RECOVERY_TOLERANCE of its level over the 1000 decisions before the outage."""
        start, end = self.outage
        regret = self.regret
        before = float(regret[max(0, start - 1000):start].mean())
        window = np.convolve(regret[start:end], np.ones(RECOVERY_WINDOW) / RECOVERY_WINDOW, mode="valid")
        hits = np.nonzero(window <= before + RECOVERY_TOLERANCE)[0]
        return int(hits[0]) if len(hits) else None


def run(env: GatewayEnvironment, policy: SimPolicy, *, learn: bool = True, start: int = 0, stop: int | None = None,
        log: list | None = None, tick: Callable[[int], None] | None = None) -> Trace:
    """Route rounds [start, stop). Rounds no gateway can take are skipped for every router alike, so the
    trace's arrays hold routed decisions only."""
    outcome_rng = random.Random(f"outcomes-{env.seed}-{policy.name}")
    stop = env.rounds if stop is None else stop
    outage_start, outage_end = int(env.outage.start * env.rounds), int(env.outage.end * env.rounds)
    rows: list[tuple[float, float, float, float]] = []
    outage = [0, 0]
    for i, t in enumerate(range(start, stop)):
        if tick and i % 1000 == 999:
            tick(1000)
        if t == outage_start:
            outage[0] = len(rows)
        if t == outage_end:
            outage[1] = len(rows)
        ctx = env.context(t)
        try:
            eligible = [g.name for g in env.catalog.eligible(ctx)]
        except NoEligibleGateway:
            continue
        now = env.now(t)
        gateway, propensity = policy.choose(ctx, eligible, now)
        ok, error, latency = env.outcome(t, ctx, gateway, outcome_rng)
        fee = env.catalog.gateways[gateway].fee_fraction(ctx.amount, ctx.currency)
        value = rewards.reward(ok, fee, latency)
        if learn:
            policy.observe(ctx, gateway, ok, error, latency, now)
        rows.append((float(ok), value, env.expected_reward(t, ctx, gateway),
                     max(env.expected_reward(t, ctx, g) for g in eligible)))
        if log is not None:
            log.append({"context": ctx.to_dict(), "actions": eligible, "action": gateway, "reward": value,
                        "propensity": propensity})
    for k, boundary in enumerate((outage_start, outage_end)):  # boundaries outside [start, stop) clamp
        if boundary < start:
            outage[k] = 0
        elif boundary >= stop:
            outage[k] = len(rows)
    data = np.array(rows) if rows else np.zeros((0, 4))
    return Trace(policy.name, env.seed, data[:, 0], data[:, 1], data[:, 2], data[:, 3], (outage[0], outage[1]))


def mean_ci(values: list[float]) -> dict:
    """Mean and a 95% t-interval over seeds."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return {"mean": mean, "ci95": [mean, mean], "n": len(values)}
    half = _T95.get(len(values) - 1, 1.96) * statistics.stdev(values) / len(values) ** 0.5
    return {"mean": mean, "ci95": [mean - half, mean + half], "n": len(values)}


def summarise(traces: list[Trace]) -> dict:
    by_policy: dict[str, list[Trace]] = {}
    for trace in traces:
        by_policy.setdefault(trace.policy, []).append(trace)
    out = {}
    for name, group in by_policy.items():
        metrics = [t.metrics() for t in group]
        keys = [k for k in metrics[0] if k != "recovery_decisions"]
        out[name] = {k: mean_ci([m[k] for m in metrics]) for k in keys}
        recoveries = [m["recovery_decisions"] for m in metrics]
        out[name]["recovery_decisions"] = {"per_seed": recoveries,
                                           "recovered_seeds": sum(r is not None for r in recoveries),
                                           **(mean_ci([r for r in recoveries if r is not None])
                                              if any(r is not None for r in recoveries) else {"mean": None})}
    return out


def regret_curve(traces: list[Trace], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    by_policy: dict[str, list[np.ndarray]] = {}
    for trace in traces:
        by_policy.setdefault(trace.policy, []).append(np.cumsum(trace.regret))
    for name, curves in by_policy.items():
        length = min(len(c) for c in curves)  # seeds differ slightly in how many rounds were routable
        stack = np.vstack([c[:length] for c in curves])
        mean = stack.mean(axis=0)
        half = 1.96 * stack.std(axis=0, ddof=1) / np.sqrt(len(curves)) if len(curves) > 1 else 0 * mean
        x = np.arange(len(mean))
        ax.plot(x, mean, label=name)
        ax.fill_between(x, mean - half, mean + half, alpha=0.2)
    start, end = traces[0].outage
    ax.axvspan(start, end, color="red", alpha=0.08, label="outage")
    ax.set_xlabel("routed decision")
    ax.set_ylabel("cumulative expected regret vs oracle")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
