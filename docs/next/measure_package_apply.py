"""Time one service root's apply (payment) on a private moto with the code-only zip the local target deploys
(smartpay_shared.local.terraform) and with the self-contained `make package` zip, alternately, destroying the
root between applies (docs/terraform.md, "What is off locally"). Run `make package` (or
`python -m smartpay_shared.local.packaging payment`) first. Usage: .venv/bin/python docs/next/measure_package_apply.py [rounds]"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from smartpay_shared.local import terraform
from smartpay_shared.testing import MotoServer

REPO = Path(__file__).resolve().parents[2]
SERVICE = "payment"


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    package_zip = REPO / ".local" / "build" / "package" / f"{SERVICE}.zip"
    assert package_zip.exists(), "make package first"
    with tempfile.TemporaryDirectory() as tmp:
        server = MotoServer(log_path=Path(tmp) / "moto.log").start()
        try:
            state = Path(tmp) / "state"
            terraform.apply_stack(server.url, state, services=[SERVICE])  # platform + payment (code-only), warm-up
            stack = terraform._Stack(server.url, state, [SERVICE], REPO)
            root = stack.services[0]
            code_only = Path(json.loads(root.var_file.read_text())["lambda_zip_path"])
            args = stack.var_args(root)
            results: list[tuple[str, float, float]] = []
            for _ in range(rounds):
                for label, zip_path in (("code-only", code_only), ("package", package_zip)):
                    stack.run(root, "destroy", "-auto-approve", "-input=false", "-no-color", "-refresh=false", *args)
                    variables = json.loads(root.var_file.read_text())
                    variables["lambda_zip_path"] = str(zip_path)
                    root.var_file.write_text(json.dumps(variables, indent=2))
                    load = os.getloadavg()[0]
                    started = time.monotonic()
                    stack.run(root, "apply", "-auto-approve", "-input=false", "-no-color", *args)
                    results.append((label, time.monotonic() - started, load))
            size = {label: p.stat().st_size / 2**20 for label, p in (("code-only", code_only), ("package", package_zip))}
            print("=== payment root apply (destroyed before each), load average before each:")
            for label, seconds, load in results:
                print(f"=== {label:9s} zip {size[label]:6.1f} MB  apply {seconds:6.1f} s  load {load:.1f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
