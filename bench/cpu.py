"""CPU of a local stack's processes while a load runs: which one is the bottleneck (psutil)."""

from __future__ import annotations

import threading
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
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

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
        return {"process_cpu_pct": busiest, "machine_cpu_pct": machine, "cores": psutil.cpu_count()}


def diagnosis(cpu: dict[str, Any], ceiling_share: float | None) -> str:
    """Where a load saturates, from its own figures only."""
    busiest = cpu["process_cpu_pct"]
    hot = [f"{n} {v:.0f} %" for n, v in busiest.items() if v >= BUSY]
    if cpu.get("machine_cpu_pct") is not None and cpu["machine_cpu_pct"] >= 95:
        return f"machine CPU {cpu['machine_cpu_pct']:.0f} % of {cpu['cores']} cores" + (
            f" (busiest: {', '.join(hot)})" if hot else "")
    if hot:
        return f"process at a full core: {', '.join(hot)}"
    if ceiling_share is not None and ceiling_share >= 0.9:
        return f"the emulator: {100 * ceiling_share:.0f} % of its replayed ceiling"
    return "no process at a full core and the machine below 95 %: not CPU-bound"
