"""CPU of a local stack's processes while a load runs: which one is the bottleneck (psutil)."""

from __future__ import annotations

import threading
import time
from typing import Any

import psutil

BUSY = 90.0  # % of one core: a single-threaded (GIL-bound) process at this level is saturated


class CpuSampler:
    """Samples every `interval` s the CPU % (of one core) of each named process and of the machine."""

    def __init__(self, pids: dict[str, int], interval: float = 1.0):
        self.procs = {}
        for name, pid in pids.items():
            try:
                self.procs[name] = psutil.Process(pid)
                self.procs[name].cpu_percent(None)  # the first call only starts the count
            except psutil.Error:
                continue
        self.interval = interval
        self.samples: dict[str, list[float]] = {name: [] for name in self.procs}
        self.machine: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> CpuSampler:
        psutil.cpu_percent(None)
        self._started, self._cpu_before = time.monotonic(), self._cpu_times()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        after = self._cpu_times()
        self.wall_seconds = time.monotonic() - self._started
        # CPU the stack spent (user + system), its processes and their children (the gateway's API
        # environments) included; a child that ended inside the window is missed (an undercount).
        self.stack_cpu_seconds = sum(max(0.0, t - self._cpu_before.get(pid, 0.0)) for pid, t in after.items())

    def _cpu_times(self) -> dict[int, float]:
        times = {}
        for proc in self.procs.values():
            try:
                family = [proc, *proc.children(recursive=True)]
            except psutil.Error:
                continue
            for member in family:
                try:
                    t = member.cpu_times()
                    times[member.pid] = t.user + t.system
                except psutil.Error:
                    continue
        return times

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.machine.append(psutil.cpu_percent(None))
            for name, proc in self.procs.items():
                try:
                    self.samples[name].append(proc.cpu_percent(None))
                except psutil.Error:
                    continue

    def summary(self, top: int = 5) -> dict[str, Any]:
        mean = {n: round(sum(v) / len(v), 1) for n, v in self.samples.items() if v}
        busiest = dict(sorted(mean.items(), key=lambda kv: -kv[1])[:top])
        machine = round(sum(self.machine) / len(self.machine), 1) if self.machine else None
        return {"process_cpu_pct": busiest, "machine_cpu_pct": machine, "cores": psutil.cpu_count(),
                "stack_cpu_seconds": round(getattr(self, "stack_cpu_seconds", 0.0), 2),
                "wall_seconds": round(getattr(self, "wall_seconds", 0.0), 1)}


def machine_capacity(cpu: dict[str, Any], completed: int) -> dict[str, float] | None:
    """What the stack's own CPU says this machine can carry: CPU seconds per completed unit, and the units a
    second that would keep every core busy with nothing else running (an upper bound: no scheduling loss)."""
    if not completed or not cpu.get("stack_cpu_seconds"):
        return None
    per_unit = cpu["stack_cpu_seconds"] / completed
    return {"cpu_ms_per_saga": round(1000 * per_unit, 1), "sagas_per_s": round(cpu["cores"] / per_unit, 2)}


def diagnosis(cpu: dict[str, Any], ceiling_share: float | None, capacity_share: float | None = None) -> str:
    """Where a load saturates, from its own figures only. `capacity_share`: completed/s over `machine_capacity`."""
    busiest = cpu["process_cpu_pct"]
    hot = [f"{n} {v:.0f} %" for n, v in busiest.items() if v >= BUSY]
    if capacity_share is not None and capacity_share >= 0.85:
        return (f"the machine's {cpu['cores']} cores: {100 * capacity_share:.0f} % of what the stack's own CPU per saga "
                "lets them carry" + (f" (busiest: {', '.join(hot)})" if hot else ""))
    if cpu.get("machine_cpu_pct") is not None and cpu["machine_cpu_pct"] >= 95:
        return f"machine CPU {cpu['machine_cpu_pct']:.0f} % of {cpu['cores']} cores" + (
            f" (busiest: {', '.join(hot)})" if hot else "")
    if hot:
        return f"process at a full core: {', '.join(hot)}"
    if ceiling_share is not None and ceiling_share >= 0.9:
        return f"the emulator: {100 * ceiling_share:.0f} % of its replayed ceiling"
    return "no process at a full core and the machine below 95 %: not CPU-bound"
