"""CPU per saga, per process of a private local stack: `python -m bench saga_cpu` (or
`python -m bench.bench_saga_cpu --n 200 --rate 3 [--write]`).

Where bench_saga measures latency and throughput (wall clock, which a loaded machine bends), this measures what
each saga costs the stack in CPU time, which the machine's load barely changes: a private stack (as bench_saga
starts it, fast emulator profiles), a few warm-up sagas, then
- an idle window: each process's CPU per second with no payment in flight (long polls, sweepers, X-Ray);
- a load window: `n` sagas sent open loop at `rate`/s through POST /pay, round robin over the three gateways,
  until every one's `payment.indexed` is on the bus (a listener queue, as bench_saga);
and for each process of the stack (moto, the workers, the gateway, the sandboxes, Redis) the CPU it spent in the
load window (user + system from /proc/<pid>/stat, its live descendants and its reaped children included: the
gateway's API environments) per completed saga, plus the same with the idle rate taken out (what a saga adds).

Prints the table; writes bench/results/saga_cpu.json only with `--write` (or BENCH_SAGA_CPU_WRITE=1): it is a
diagnostic, not one of `make bench`'s targets."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import report
from bench.bench_saga import DONE, Payer, Probe, final_views, local_stack, merchant_session, open_loop
from bench.saga_ceiling import stats
from smartpay_payment.testing.local_stack import Emulators

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process: user + system + its reaped children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / TICK


def process_cpu(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each named process, and under `<name> children` of its live descendants (the
    gateway's API environments); a child that ended and was reaped is in its parent's cutime/cstime."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (s := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = s
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    out = {}
    for name, root in roots.items():
        if root not in stats:
            continue
        out[name] = stats[root][1]
        descendants, todo = [], list(children.get(root, []))
        while todo:
            pid = todo.pop()
            descendants.append(pid)
            todo.extend(children.get(pid, []))
        if descendants:
            out[f"{name} children"] = sum(stats[pid][1] for pid in descendants)
    return out


def window(roots: dict[str, int], body) -> tuple[dict[str, float], float, Any]:
    """(CPU seconds per process over `body()`, wall seconds, body's result)."""
    before, started = process_cpu(roots), time.monotonic()
    result = body()
    after, wall = process_cpu(roots), time.monotonic() - started
    return {n: after[n] - before.get(n, 0.0) for n in after}, wall, result


def drive(payer: Payer, probe: Probe, n: int, rate: float) -> dict[str, Any]:
    """`n` sagas open loop at `rate`/s, until each one's payment.indexed is on the bus (or 300 s passed)."""
    sent: list[tuple[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            result = payer.post(payer.body()[1])
            with lock:
                sent.append(result)
        except Exception as e:  # a refused POST is a figure
            with lock:
                errors.append(str(e)[:200])

    with ThreadPoolExecutor(max_workers=32) as pool, probe.listener() as listener:
        open_loop(pool, send, rate, n)
        ids = {pid for pid, _ in sent}
        try:
            listener.wait_for(lambda seen: ids <= {e["detail"]["data"]["payment_id"] for e in seen}, timeout=300)
        except TimeoutError:
            pass
    return {"ids": sorted(ids), "errors": errors}


def outcome(payer: Payer, driven: dict[str, Any]) -> dict[str, Any]:
    """What became of the driven sagas (read after the window: the reads are not a saga's cost)."""
    views = final_views(payer, driven["ids"])
    statuses = [views[pid].get("status") for pid in driven["ids"]]
    return {"sent": len(driven["ids"]), "refused": len(driven["errors"]), "errors": driven["errors"][:3],
            "completed": sum(1 for s in statuses if s in DONE), "indexed": statuses.count("indexed")}


def say(text: str) -> None:
    print(f"==> {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def measure(n: int, rate: float, idle_seconds: float, warmup: int = 6) -> dict[str, Any]:
    with local_stack() as info:
        roots = {name: p["pid"] for name, p in info["processes"].items() if p.get("pid")}
        payer = Payer(info["gateway_url"], merchant_session("m_bench_cpu", info), Emulators.of(info))
        say("warm-up")
        for _ in range(warmup):  # every worker's cold start, every gateway once
            payer.wait(payer.post(payer.body()[1])[0], timeout=300)
        probe = Probe(info, None)
        # then the same load for a while: the gateway starts the API environments this rate needs (cold starts
        # are not a saga's steady cost)
        drive(payer, probe, max(10, int(10 * rate)), rate)
        say("idle window")
        idle, idle_wall, _ = window(roots, lambda: time.sleep(idle_seconds))
        say("load window")
        moto_before = stats(info["aws_endpoint_url"])
        load, wall, driven = window(roots, lambda: drive(payer, probe, n, rate))
        moto_after = stats(info["aws_endpoint_url"])
        say("load window done")
        done = outcome(payer, driven)
    completed = done["completed"] or 1
    rows = {}
    for name in sorted(load, key=lambda k: -load[k]):
        idle_rate = idle.get(name, 0.0) / idle_wall
        rows[name] = {"ms_per_saga": round(1000 * load[name] / completed, 1),
                      "ms_per_saga_over_idle": round(1000 * max(0.0, load[name] - idle_rate * wall) / completed, 1),
                      "idle_ms_per_s": round(1000 * idle_rate, 1)}
    moto = {}  # moto's own count: per API action, calls and its threads' CPU per saga
    for action, now in moto_after.items():
        then = moto_before.get(action, {"n": 0, "cpu_seconds": 0.0})
        if now["n"] > then["n"]:
            moto[action] = {"calls_per_saga": round((now["n"] - then["n"]) / completed, 2),
                            "cpu_ms_per_saga": round(1000 * (now["cpu_seconds"] - then["cpu_seconds"]) / completed, 2)}
    moto = dict(sorted(moto.items(), key=lambda kv: -kv[1]["cpu_ms_per_saga"]))
    total = sum(load.values())
    for name, row in rows.items():
        row["share"] = round(load[name] / total, 3) if total else 0.0
    return {"n": n, "rate": rate, "idle_seconds": round(idle_wall, 1), "load_seconds": round(wall, 1), **done,
            "total_ms_per_saga": round(1000 * total / completed, 1),
            "total_ms_per_saga_over_idle": round(sum(r["ms_per_saga_over_idle"] for r in rows.values()), 1),
            "processes": rows, "moto_actions": moto}


def table(r: dict[str, Any]) -> str:
    lines = [f"{r['completed']}/{r['sent']} sagas completed ({r['indexed']} indexed, {r['refused']} refused) at "
             f"{r['rate']:g}/s in {r['load_seconds']} s; idle window {r['idle_seconds']} s",
             "| process | ms CPU per saga | over idle | idle ms/s | share |", "|---|---|---|---|---|"]
    for name, row in r["processes"].items():
        lines.append(f"| {name} | {row['ms_per_saga']:.1f} | {row['ms_per_saga_over_idle']:.1f} | "
                     f"{row['idle_ms_per_s']:.1f} | {100 * row['share']:.1f} % |")
    lines.append(f"| **all** | **{r['total_ms_per_saga']:.1f}** | **{r['total_ms_per_saga_over_idle']:.1f}** | | |")
    lines += ["", "moto's threads, per API action (its own count; a long poll's CPU included):",
              "| action | calls per saga | CPU ms per saga |", "|---|---|---|"]
    lines += [f"| {a} | {v['calls_per_saga']:g} | {v['cpu_ms_per_saga']:.2f} |" for a, v in r["moto_actions"].items()]
    return "\n".join(lines)


HEADING = "## CPU per saga, per process (local stack)\n\n"


def run() -> bool:
    """`python -m bench saga_cpu`: settings from BENCH_SAGA_CPU_N / _RATE / _IDLE_SECONDS / _WRITE."""
    return main(["--write"] if os.environ.get("BENCH_SAGA_CPU_WRITE", "") in ("1", "true") else []) == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_SAGA_CPU_N", "200")),
                        help="sagas in the load window")
    parser.add_argument("--rate", type=float, default=float(os.environ.get("BENCH_SAGA_CPU_RATE", "3")),
                        help="offered sagas/s")
    parser.add_argument("--idle", type=float, default=float(os.environ.get("BENCH_SAGA_CPU_IDLE_SECONDS", "20")),
                        help="idle window seconds")
    parser.add_argument("--write", action="store_true", help="write bench/results/saga_cpu.json and its docs section")
    parser.add_argument("--json", help="also dump the raw result to this file")
    args = parser.parse_args(argv)
    result = measure(args.n, args.rate, args.idle)
    text = table(result)
    print(text, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    if args.write:
        print(f"wrote {report.write('saga_cpu', result, HEADING + text)}")
    return 0 if result["completed"] >= 0.99 * result["sent"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
