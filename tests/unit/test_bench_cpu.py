"""The saga bench's CPU accounting: the stack's CPU seconds (its processes and their children) and the bound
they put on what the machine can carry."""

import subprocess
import sys
import time

import psutil

from bench.cpu import CpuSampler, diagnosis, machine_capacity

BURN = ("import os, sys, time\nwhile not os.path.exists(sys.argv[1]): time.sleep(0.01)\n"  # starts inside the window
        "end = time.process_time() + 0.6\nwhile time.process_time() < end: pass\ntime.sleep(30)")


def test_the_sampler_counts_the_cpu_of_a_process_and_of_its_children(tmp_path):
    go = tmp_path / "go"
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time\n"
                               f"subprocess.Popen([sys.executable, '-c', {BURN!r}, {str(go)!r}])\ntime.sleep(30)"])
    try:
        while not psutil.Process(parent.pid).children():
            time.sleep(0.01)
        with CpuSampler({"parent": parent.pid}, interval=0.2) as cpu:
            go.touch()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # until the child has burnt its 0.6 s
                kids = psutil.Process(parent.pid).children()
                if kids and sum(kids[0].cpu_times()[:2]) >= 0.6:
                    break
        summary = cpu.summary()
        assert 0.5 <= summary["stack_cpu_seconds"] <= 5  # the child's burn, started inside the window
    finally:
        for p in psutil.Process(parent.pid).children(recursive=True):
            p.kill()
        parent.kill()


def test_capacity_is_the_cores_over_the_cpu_per_saga_and_names_the_saturation():
    cpu = {"process_cpu_pct": {"moto": 70.0}, "machine_cpu_pct": 90.0, "cores": 2, "stack_cpu_seconds": 40.0}
    capacity = machine_capacity(cpu, completed=100)  # 0.4 s of CPU per saga
    assert capacity == {"cpu_ms_per_saga": 400.0, "sagas_per_s": 5.0}
    assert diagnosis(cpu, 0.5, 4.5 / 5.0).startswith("the machine's 2 cores: 90 %")
    assert "not CPU-bound" in diagnosis(cpu, 0.5, 2.0 / 5.0)
    assert machine_capacity(cpu, completed=0) is None
