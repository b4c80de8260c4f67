"""Routing benchmark: the VW bandit against static rules, random and sliding-window success-rate routing
(20% exploration) on the seeded non-stationary simulator (two outage scenarios, several seeds, same run),
and in-process decision latency / throughput on one core against the bare VW predict floor."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import redis
from rich.progress import Progress

from bench import report
from smartpay_routing.adapters.memory import InMemoryDecisionStore, InMemoryCheckpointStore
from smartpay_routing.adapters.redis_health import RedisHealthStore
from smartpay_routing.adapters.vw_policy import checkpoint_id_for
from smartpay_routing.bootstrap import load_catalog
from smartpay_routing.config import DEFAULT_CATALOG
from smartpay_routing.domain.errors import NoEligibleGateway
from smartpay_routing.service_layer.routing import RoutingService
from smartpay_routing.simulation import benchmark
from smartpay_routing.simulation.environment import GatewayEnvironment, Outage
from smartpay_routing.domain.ope import LoggedDecision
from smartpay_routing.service_layer import evaluation
from smartpay_routing.service_layer.candidates import CheckpointPolicy, StaticRules
from smartpay_routing.simulation.policies import UniformRandom, VowpalBandit
from smartpay_routing.simulation.runner import mean_ci
from smartpay_routing.simulation.runner import run as run_simulation

SEEDS = [1, 2, 3, 4, 5]
ROUNDS = 20_000
SCENARIOS = ("stripe", "amazon_pay")
REPORTS = report.ROOT / "docs" / "reports" / "routing"
LATENCY_N = 20_000
TARGET_APPROVAL_PP = 1.0
TARGET_RECOVERY = 500
TARGET_P99_MS = 1.0
TARGET_THROUGHPUT = 10_000
OPE_ESTIMATORS = ("dm", "ips", "snips", "dr", "dr_os", "switch_dr")


def _paired(traces, metric: str, a: str, b: str, scale: float = 1.0) -> dict:
    by = {(t.policy, t.seed): t.metrics()[metric] for t in traces}
    seeds = sorted({t.seed for t in traces})
    return mean_ci([(by[(a, s)] - by[(b, s)]) * scale for s in seeds])


BANDIT = "vw_bandit"
BREAKER = benchmark.BREAKER


def _comparisons(traces, suffix: str) -> dict:
    """The bandit against the baselines, every router with (suffix "+breaker") or without (suffix "") the
    same health circuit breaker."""
    bandit, static, success = f"{BANDIT}{suffix}", f"static_rules{suffix}", f"success_rate_20pct{suffix}"
    return {
        "approval_pp_vs_static": _paired(traces, "approval_rate", bandit, static, 100),
        "approval_pp_vs_static_outside_outage": _paired(traces, "approval_rate_outside_outage", bandit, static, 100),
        "reward_vs_success_rate": _paired(traces, "mean_reward", bandit, success),
        "approval_pp_vs_success_rate": _paired(traces, "approval_rate", bandit, success, 100),
    }


def simulate(progress: Progress, seeds: list[int] = SEEDS, rounds: int = ROUNDS, write_png: bool = True) -> dict:
    catalog = load_catalog(DEFAULT_CATALOG)
    out = {}
    for gateway in SCENARIOS:
        png = REPORTS / f"regret_curve_{gateway}_outage.png" if write_png else None
        result = benchmark.compare(catalog, seeds, rounds, gateway, progress, png=png)
        traces = result["traces"]
        recoveries = result["summary"][BANDIT + BREAKER]["recovery_decisions"]["per_seed"]
        shown = None if png is None else str(png.relative_to(report.ROOT) if png.is_relative_to(report.ROOT) else png)
        out[gateway] = {
            "summary": result["summary"],
            "png": shown,
            "with_breaker": _comparisons(traces, BREAKER),
            "without_breaker": _comparisons(traces, ""),
            "breaker_effect_approval_pp": {name: _paired(traces, "approval_rate", name + BREAKER, name, 100)
                                           for name in benchmark.ROUTERS},
            "bandit_recovery_max": max((r for r in recoveries if r is not None), default=None),
            "bandit_recovered_all_seeds": all(r is not None for r in recoveries),
        }
    return out


def _percentiles_ns(samples: list[int]) -> dict:
    return report.percentiles([s / 1e6 for s in samples])


def latency(progress: Progress) -> dict:
    """Per-decision latency of the full in-process decision (eligibility, guards, features, VW predict,
    sampling, explanation) with a trained model, against the bare VW predict of the same examples."""
    catalog = load_catalog(DEFAULT_CATALOG)
    env = GatewayEnvironment(catalog, 11, LATENCY_N + 5000, Outage(2.0, 2.0))
    bandit = VowpalBandit(catalog, 11)
    run_simulation(env, bandit, stop=5000)  # a trained model, as in production
    contexts = [c for c in (env.context(t) for t in range(5000, 5000 + 2 * LATENCY_N)) if _routable(catalog, c)]
    contexts = contexts[:LATENCY_N]
    snapshot = bandit.health.snapshot(catalog.gateways, env.now(5000))
    rng = random.Random(0)
    task = progress.add_task("decision latency", total=3 * LATENCY_N)
    decide = bandit.router.decide
    decisions, full = [], []
    for ctx in contexts[:2000]:  # warm-up
        decide(ctx, health=snapshot, now=500.0, rng=rng)
    start_all = time.perf_counter_ns()
    for ctx in contexts:
        t0 = time.perf_counter_ns()
        d = decide(ctx, health=snapshot, now=500.0, rng=rng)
        full.append(time.perf_counter_ns() - t0)
        decisions.append(d)
    elapsed = (time.perf_counter_ns() - start_all) / 1e9
    progress.advance(task, LATENCY_N)
    floor = []
    predict = bandit.policy.distribution
    for d in decisions:
        if len(d.candidates) < 2:
            continue
        t0 = time.perf_counter_ns()
        predict(d.shared_features, list(d.action_features))
        floor.append(time.perf_counter_ns() - t0)
    progress.advance(task, LATENCY_N)
    with_redis = _with_redis(catalog, bandit, contexts[:2000])
    progress.advance(task, LATENCY_N)
    return {"decisions": LATENCY_N, "full_decision": _percentiles_ns(full), "vw_predict_floor": _percentiles_ns(floor),
            "throughput_per_s": round(LATENCY_N / elapsed), "with_redis_health_read": with_redis}


def _routable(catalog, ctx) -> bool:
    try:
        catalog.eligible(ctx)
    except NoEligibleGateway:
        return False
    return True


def _with_redis(catalog, bandit, contexts) -> dict | None:
    """The worker path without the health cache: a Redis round trip (one pipeline) per decision."""
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"bench-routing-{os.getpid()}:"
    try:
        client.ping()
    except redis.RedisError:
        return None
    try:
        service = RoutingService(bandit.router, bandit.policy, RedisHealthStore(client, bandit.router.health_config,
                                                                                 prefix),
                                 InMemoryDecisionStore(), InMemoryCheckpointStore(),
                                 checkpoint_id_for=checkpoint_id_for, health_cache_seconds=0.0)
        samples = []
        for ctx in contexts:
            t0 = time.perf_counter_ns()
            service.decide(ctx)
            samples.append(time.perf_counter_ns() - t0)
        return _percentiles_ns(samples)
    finally:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)


def ope_check(progress: Progress) -> dict:
    """OPE against ground truth: decisions logged by the uniform router; candidates are static rules and a
    frozen bandit checkpoint; truth is each candidate's exact expected reward on the same rounds."""
    catalog = load_catalog(DEFAULT_CATALOG)
    env = GatewayEnvironment(catalog, 1, ROUNDS, Outage("stripe"))
    task = progress.add_task("off-policy evaluation", total=3 * ROUNDS)
    log: list[dict] = []
    run_simulation(env, UniformRandom(1), log=log, tick=lambda n: progress.advance(task, n))
    bandit = VowpalBandit(catalog, 2)
    run_simulation(GatewayEnvironment(catalog, 2, ROUNDS, Outage(2.0, 2.0)), bandit,
                   tick=lambda n: progress.advance(task, n))  # trained elsewhere: another seed, no outage
    records = [LoggedDecision(r["context"], tuple(r["actions"]), r["action"], r["reward"], r["propensity"])
               for r in log]
    candidates = {"static_rules": StaticRules(), "vw_checkpoint": CheckpointPolicy(bandit.policy.to_bytes(), catalog)}
    truth = {name: [] for name in candidates}
    k = 0
    for t in range(ROUNDS):
        ctx = env.context(t)
        if not _routable(catalog, ctx):
            continue
        rec = records[k]
        k += 1
        for name, target in candidates.items():
            pmf = target.probabilities(k, rec)
            truth[name].append(sum(p * env.expected_reward(t, ctx, a) for p, a in zip(pmf, rec.actions, strict=True)))
    progress.advance(task, ROUNDS)
    out = {}
    for name, target in candidates.items():
        result = evaluation.evaluate(evaluation.RecordList(records), target)
        value = sum(truth[name]) / len(truth[name])
        out[name] = {"truth": value, "logged_mean": result["logged"]["value"],
                     **{e["estimator"]: {**e, "covers_truth": e["ci95"][0] <= value <= e["ci95"][1],
                                         "error": e["value"] - value} for e in result["estimates"]}}
    return {"n": len(records), "candidates": out}


def _ope_section(ope: dict) -> str:
    def interval(pair, truth):
        if pair is None:
            return "-"
        return f"[{pair[0]:.4f}, {pair[1]:.4f}]{'' if pair[0] <= truth <= pair[1] else ' (misses)'}"

    rows = []
    for name, r in ope["candidates"].items():
        for e in OPE_ESTIMATORS:
            est = r[e]
            rows.append(f"| {name} | {r['truth']:.4f} | {e} | {est['value']:.4f} | {interval(est['ci95'], r['truth'])} "
                        f"| {interval(est['bootstrap_ci95'], r['truth'])} |")
    return f"""## Routing: off-policy evaluation against ground truth (routing)

{ope['n']} decisions logged by the uniform random router on the simulator (seed 1, stripe outage; logged mean
reward {next(iter(ope['candidates'].values()))['logged_mean']:.4f}). Candidates: static rules, and a VW
checkpoint trained on another seed (no outage) and evaluated frozen with its exploring pmf and no health
guard. Truth: the candidate's exact expected reward on the same rounds, computed by the simulator.
Estimates with 95% intervals, normal and bootstrap (1000 seeded Poisson replicates); "(misses)" marks an
interval that does not contain the truth. Reward model: cross-fitted ridge (5 folds, 2^8 hashed features per
action), `smartpay routing ope` defaults.

| candidate | truth | estimator | estimate | 95% CI (normal) | 95% CI (bootstrap) |
|---|---|---|---|---|---|
{chr(10).join(rows)}
"""


def _sim_section(sim: dict, rounds: int) -> tuple[str, bool]:
    parts, met_all = [], True
    fmt = (lambda m, d=2: f"{m['mean']:+.{d}f} [{m['ci95'][0]:+.{d}f}, {m['ci95'][1]:+.{d}f}]")  # noqa: E731
    for gateway, r in sim.items():
        on, off = r["with_breaker"], r["without_breaker"]
        approval, reward = on["approval_pp_vs_static"], on["reward_vs_success_rate"]
        met = {"approval": approval["mean"] >= TARGET_APPROVAL_PP, "reward": reward["mean"] > 0,
               "recovery": r["bandit_recovered_all_seeds"] and r["bandit_recovery_max"] <= TARGET_RECOVERY}
        met_all &= all(met.values())
        effect = "; ".join(f"{name} {fmt(m)} pp" for name, m in r["breaker_effect_approval_pp"].items())
        parts.append(f"""### Outage of {gateway} (decisions {int(0.45 * rounds)}-{int(0.60 * rounds)})

{benchmark.markdown(r["summary"])}

Paired over seeds (bandit minus baseline, mean [95% CI]), **every router with the breaker**: approval vs static
rules **{fmt(approval)} pp** (outside the outage {fmt(on["approval_pp_vs_static_outside_outage"])} pp; target >=
+{TARGET_APPROVAL_PP} pp: **{"met" if met["approval"] else "missed"}**); mean reward vs success-rate
**{fmt(reward, 4)}** (target > 0: **{"met" if met["reward"] else "missed"}**); approval vs success-rate
{fmt(on["approval_pp_vs_success_rate"])} pp. **Every router without it**: approval vs static rules
{fmt(off["approval_pp_vs_static"])} pp (outside the outage {fmt(off["approval_pp_vs_static_outside_outage"])} pp);
mean reward vs success-rate {fmt(off["reward_vs_success_rate"], 4)}; approval vs success-rate
{fmt(off["approval_pp_vs_success_rate"])} pp. What the breaker adds to each router's approval: {effect}.
Bandit (with the breaker) recovery: worst seed {r["bandit_recovery_max"]} decisions (target <= {TARGET_RECOVERY}
in every seed: **{"met" if met["recovery"] else "missed"}**).{f" Regret curve: `{r['png']}`." if r["png"] else ""}
""")
    return "\n".join(parts), met_all


def sim_section(sim: dict, seeds: list[int], rounds: int) -> tuple[str, bool]:
    sim_md, sim_met = _sim_section(sim, rounds)
    return f"""## Routing: bandit vs baselines on the simulator (routing)

{len(seeds)} seeds x {rounds} decisions per router and scenario, all routers on the same seeded environment
(context-dependent approval, catalog fees, lognormal latencies, drift of every gateway's base approval, one
gateway erroring 90% of attempts for 15% of the run). Reward as defined in `smartpay_routing/domain/reward.py`;
regret is expected regret against the per-decision oracle; "decisions to recover" counts from the outage's
start until the next 100 decisions' mean regret is within 0.05 of its pre-outage level. CIs are 95% t-intervals
over seeds. Baselines: static rules (each method to its native gateway), uniform random, success-rate routing
with a 200-attempt sliding window per gateway x method x region and 20% exploration. Every router runs twice:
as is, and `+breaker`, behind the same health circuit breaker (`domain/health.py` `guard`, default
`ROUTING_HEALTH_*` settings: an open gateway is removed, a half-open one gets the 5% probe share).
`vw_bandit+breaker` is what the service runs; `vw_bandit` is the same service with a breaker that never
opens (it still sees each gateway's recent error rate as a feature).

{sim_md}""", sim_met


def run() -> bool:
    previous = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    with Progress(transient=True) as progress:
        sim = simulate(progress)
        ope = ope_check(progress)
        if previous:
            os.sched_setaffinity(0, {min(previous)})  # the throughput target is per core
        try:
            lat = latency(progress)
        finally:
            if previous:
                os.sched_setaffinity(0, previous)
    sim_md, sim_met = sim_section(sim, SEEDS, ROUNDS)
    full, floor = lat["full_decision"], lat["vw_predict_floor"]
    lat_met = full["p99_ms"] <= TARGET_P99_MS and lat["throughput_per_s"] >= TARGET_THROUGHPUT
    redis_row = ""
    if lat["with_redis_health_read"]:
        r = lat["with_redis_health_read"]
        redis_row = (f"| decision + Redis health read (no cache) | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} "
                     f"| {r['mean_ms']} |\n")
    lat_section = f"""## Routing: decision latency in process (routing)

{lat['decisions']} decisions of simulated traffic, one thread pinned to one core, trained model, health snapshot
in memory (the service caches it for `health_cache_seconds`). **Baseline**: the VW predict call alone (the
adapter's pybind call) on the same examples.

| path | p50 ms | p90 ms | p99 ms | mean ms |
|---|---|---|---|---|
| VW predict (floor) | {floor['p50_ms']} | {floor['p90_ms']} | {floor['p99_ms']} | {floor['mean_ms']} |
| full decision | {full['p50_ms']} | {full['p90_ms']} | {full['p99_ms']} | {full['mean_ms']} |
{redis_row}
Ratio full/floor p50 {round(full['p50_ms'] / floor['p50_ms'], 2)}. Throughput **{lat['throughput_per_s']} decisions/s**
on one core. Targets p99 <= {TARGET_P99_MS} ms and >= {TARGET_THROUGHPUT}/s: **{"met" if lat_met else "missed"}**.
"""
    report.write("routing_sim", {"seeds": SEEDS, "rounds": ROUNDS, "scenarios": sim, "targets_met": sim_met},
                 sim_md)
    report.write("routing_latency", {**lat, "targets_met": lat_met}, lat_section)
    ope_section = _ope_section(ope)
    report.write("routing_ope", ope, ope_section)
    print(ope_section)
    print(sim_md)
    print(lat_section)
    return sim_met and lat_met


def generate_ope_log(path: Path, lines: int, seed: int = 0) -> None:
    """A routing-shaped decision log (gzip) of `lines` decisions logged uniformly at random, with a candidate's
    per-row probabilities in the field `cand`: the input of the OPE memory measurement."""
    rng = np.random.default_rng(seed)
    countries = ["US", "DE", "FR", "GB", "JP", "BR", "SG", "MX", "CA", "AU"]
    currencies = {"US": "USD", "DE": "EUR", "FR": "EUR", "GB": "GBP", "JP": "JPY", "BR": "BRL", "SG": "SGD",
                  "MX": "MXN", "CA": "CAD", "AU": "AUD"}
    methods = ["card", "amazon_pay", "solana_wallet"]
    gateways = ["stripe", "amazon_pay", "solana"]
    with gzip.open(path, "wt", compresslevel=1) as f:
        for start in range(0, lines, 100_000):
            m = min(100_000, lines - start)
            country = rng.integers(0, len(countries), m)
            method = rng.choice(3, m, p=[0.8, 0.15, 0.05])
            amount = np.exp(rng.normal(8.0, 1.2, m)).astype(int) + 50
            risk, hour, merchant = rng.beta(1, 12, m), rng.integers(0, 24, m), rng.integers(0, 2000, m)
            action = rng.integers(0, 3, m)
            approved = rng.random(m) < 0.55 + 0.1 * (action == method) - 0.5 * risk
            reward = approved * (1 - 0.15 * (action == 1)) - 0.02 * rng.gamma(2.0, 0.4, m)
            cand = np.floor(rng.dirichlet([2.0, 1.0, 1.0], m) * 1e4) / 1e4  # floors: the third stays >= 0
            for i in range(m):
                c, a, b = countries[country[i]], float(cand[i, 0]), float(cand[i, 1])
                f.write(json.dumps({
                    "context": {"merchant_id": f"m_{merchant[i]}", "amount": int(amount[i]), "currency": currencies[c],
                                "method": methods[method[i]], "country": c, "merchant_category": "retail",
                                "risk_score": round(float(risk[i]), 4), "hour": int(hour[i])},
                    "actions": gateways, "action": gateways[action[i]], "reward": round(float(reward[i]), 4),
                    "propensity": 1 / 3, "cand": [a, b, round(1 - a - b, 4)]}) + "\n")


def ope_memory(lines: int, workdir: Path) -> dict:
    """Peak RSS and wall time of `smartpay routing ope` (a child process, its own rusage) on a generated log."""
    log = workdir / f"ope_{lines}.jsonl.gz"
    if not log.exists():
        started = time.perf_counter()
        generate_ope_log(log, lines)
        print(f"generated {lines} lines in {time.perf_counter() - started:.0f} s ({log.stat().st_size >> 20} MB gz)")
    cli = Path(sys.executable).parent / "smartpay"
    started = time.perf_counter()
    child = subprocess.Popen([str(cli), "routing", "ope", "--log", str(log), "--policy", "field:cand", "--json",
                              "--no-progress"], stdout=subprocess.PIPE)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise RuntimeError(f"smartpay routing ope exited with status {status}")
    result = json.loads(out)
    return {"lines": lines, "log_mb_gzip": round(log.stat().st_size / 2**20, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "wall_s": round(time.perf_counter() - started, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "n": result["n"],
            "dr": next(e for e in result["estimates"] if e["estimator"] == "dr")}


def simulator_only(seeds: int, rounds: int, write: bool) -> bool:
    """The simulator comparison alone: `--write` publishes it (section routing_sim, its JSON and regret curves);
    without, a smaller check prints it and writes nothing."""
    seed_list = list(range(1, seeds + 1))
    with Progress(transient=True) as progress:
        sim = simulate(progress, seed_list, rounds, write_png=write)
    md, met = sim_section(sim, seed_list, rounds)
    if write:
        report.write("routing_sim", {"seeds": seed_list, "rounds": rounds, "scenarios": sim, "targets_met": met}, md)
    print(md)
    return met


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="`python -m bench.bench_routing ope-memory` (OPE streaming memory) "
                                                 "or `sim` (the simulator comparison alone)")
    parser.add_argument("what", choices=["ope-memory", "sim"])
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp"))
    parser.add_argument("--seeds", type=int, default=len(SEEDS))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--write", action="store_true", help="sim: publish to docs/benchmarks.md and bench/results")
    args = parser.parse_args()
    if args.what == "sim":
        simulator_only(args.seeds, args.rounds, args.write)
    else:
        for n in args.lines:
            print(json.dumps(ope_memory(n, args.workdir)), flush=True)
