"""Time one private stack start and stop (smartpay_shared.testing.private_stack: stack.up / stack.down) in the
checkout whose interpreter runs this, with every Terraform command's wall time and the load average around it.

    <checkout>/.venv/bin/python docs/next/measure_stack_start.py [--runs N] [--out FILE]

Prints one JSON object per run (and appends it to FILE): up_s, down_s, apply_stack_s, per-command seconds
(`[root, command, seconds]`), the provider version the roots pin, load averages before/after. Compare two
checkouts by running it in both, one after the other, in the same session (the machine is shared)."""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path


def provider_pin(repo: Path) -> str:
    text = (repo / "infra" / "terraform" / "platform" / ".terraform.lock.hcl").read_text()
    return re.search(r'version\s*=\s*"([^"]+)"', text).group(1)


def one_run(repo: Path) -> dict:
    from smartpay_shared.local import terraform
    from smartpay_shared.testing.stack import private_stack

    commands: list[list] = []
    run = terraform._Stack.run

    def timed_run(self, root, *args, **kwargs):  # noqa: ANN001
        started = time.monotonic()
        try:
            return run(self, root, *args, **kwargs)
        finally:
            commands.append([root.key, args[0], round(time.monotonic() - started, 1)])

    apply_stack = terraform.apply_stack
    timings: dict[str, float] = {}

    def timed_apply(*args, **kwargs):  # noqa: ANN002, ANN003
        started = time.monotonic()
        try:
            return apply_stack(*args, **kwargs)
        finally:
            timings["apply_stack_s"] = round(time.monotonic() - started, 1)

    terraform._Stack.run, terraform.apply_stack = timed_run, timed_apply
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="stack-start-") as state:
        started = time.monotonic()
        with private_stack(Path(state)) as info:
            up_s = info["up_seconds"]
            load_up = os.getloadavg()
            down_started = time.monotonic()
        down_s = round(time.monotonic() - down_started, 1)
        total_s = round(time.monotonic() - started, 1)
    terraform._Stack.run, terraform.apply_stack = run, apply_stack
    return {"repo": str(repo), "provider": provider_pin(repo), "up_s": up_s, "down_s": down_s, "total_s": total_s,
            **timings, "load_before": [round(x, 2) for x in load_before],
            "load_after_up": [round(x, 2) for x in load_up],
            "load_after": [round(x, 2) for x in os.getloadavg()], "commands": commands,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    import smartpay_shared

    repo = Path(smartpay_shared.__file__).resolve().parents[2]  # the checkout whose .venv runs this
    for _ in range(args.runs):
        result = one_run(repo)
        line = json.dumps(result)
        print(line, flush=True)
        if args.out:
            with args.out.open("a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
