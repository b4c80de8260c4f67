"""SmartPay's OPE next to obp's on the Open Bandit Dataset sample obp ships: runs obp_reference.py in the obp
environment, `smartpay routing ope` (in process, defaults) on the logs it exported, and compares.

Usage (from the repo root): .venv/bin/python services/routing/tests/reference/compare_obp.py OUT_DIR [--bootstrap N]
prints the markdown table of docs/routing.md and writes OUT_DIR/comparison.json."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from smartpay_routing.adapters.decision_log import JsonlDecisionLog
from smartpay_routing.service_layer.candidates import CarriedByRecord
from smartpay_routing.service_layer.evaluation import OpeSettings, evaluate

HERE = Path(__file__).parent
REPO = HERE.parents[3]
OBP_VENV = Path(os.environ.get("SMARTPAY_OBP_VENV", REPO / ".local" / "obp-venv"))
OBP_PYTHON = OBP_VENV / "bin" / "python"
FILES = [f"{b}_{c}" for b in ("random", "bts") for c in ("all", "men", "women")]


def obp_missing() -> str | None:
    """Why the obp reference cannot run here, or None when it can."""
    if not OBP_PYTHON.exists():
        return (f"obp reference environment not found at {OBP_VENV}: create it with "
                f"services/routing/tests/reference/obp_env.sh (or set SMARTPAY_OBP_VENV)")
    probe = subprocess.run([str(OBP_PYTHON), "-c", "import obp"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"{OBP_PYTHON} cannot import obp: {probe.stderr.strip().splitlines()[-1:]}"
    return None


def run_obp(out: Path, files: list[str], bootstrap: int) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    subprocess.run([str(OBP_PYTHON), str(HERE / "obp_reference.py"), str(out), "--files", ",".join(files),
                    "--bootstrap", str(bootstrap)], check=True, env=env)
    return json.loads((out / "reference.json").read_text())


def run_ours(out: Path, name: str, reference: dict) -> dict:
    settings = OpeSettings()
    settings = OpeSettings(estimators=type(settings.estimators)(shrinkage=reference["shrinkage"],
                                                                switch_tau=reference["switch_tau"]))
    return evaluate(JsonlDecisionLog(out / f"{name}.jsonl.gz", "candidate"), CarriedByRecord(), settings)


def compare(reference: dict, ours: dict) -> dict:
    """Per file: obp's and our figures, the spread of obp's DR over its reward models, the checks."""
    rows = {}
    for name, ref in reference["files"].items():
        mine = {e["estimator"]: e for e in ours[name]["estimates"]}
        dr = {q: v["estimates"]["dr"] for q, v in ref["q_models"].items()}
        dr_os = {q: v["estimates"]["dr-os"] for q, v in ref["q_models"].items()}
        low, high = min(dr.values()), max(dr.values())
        os_low, os_high = min(dr_os.values()), max(dr_os.values())
        rows[name] = {
            "truth": ref["truth"], "evaluated": ref["evaluated"], "min_propensity": ref["min_propensity"],
            "obp": {"ips": ref["estimates"]["ipw"], "snips": ref["estimates"]["snipw"], "dr_by_q_model": dr,
                    "dr_os_by_q_model": dr_os,
                    "ips_ci95": ref["intervals"]["ipw"], "snips_ci95": ref["intervals"]["snipw"],
                    "dr_ci95_by_q_model": {q: v["intervals"]["dr"] for q, v in ref["q_models"].items()}},
            "ours": {k: mine[k] for k in ("dm", "ips", "snips", "dr", "dr_os", "switch_dr")},
            "ours_warnings": ours[name]["warnings"], "ours_q_model": ours[name]["diagnostics"]["q_model"],
            "ips_difference": abs(mine["ips"]["value"] - ref["estimates"]["ipw"]),
            "snips_difference": abs(mine["snips"]["value"] - ref["estimates"]["snipw"]),
            "obp_dr_spread": [low, high],
            "dr_within_spread": low <= mine["dr"]["value"] <= high,
            "dr_os_within_spread": low <= mine["dr_os"]["value"] <= high,
            "obp_dr_os_spread": [os_low, os_high],
            "dr_os_within_obp_dr_os_spread": os_low <= mine["dr_os"]["value"] <= os_high,
        }
    return rows


def table(rows: dict) -> str:
    def ci(pair):
        return f"[{pair[0]:.5f}, {pair[1]:.5f}]" if pair else "-"

    out = ["| file (evaluated policy) | truth | IPS | IPS 95% CI: obp bootstrap / ours normal / ours "
           "bootstrap | SNIPS | DR: obp over q-models / ours | DR 95% CI ours: normal / bootstrap "
           "| DR-OS: obp over q-models / ours |",
           "|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        o, m = r["obp"], r["ours"]
        lo, hi = r["obp_dr_spread"]
        os_lo, os_hi = r["obp_dr_os_spread"]
        out.append(
            f"| {name} ({r['evaluated']}) | {r['truth']:.4f} | {m['ips']['value']:.6f} (diff to obp {r['ips_difference']:.0e}) "
            f"| {ci(o['ips_ci95'])} / {ci(m['ips']['ci95'])} / {ci(m['ips']['bootstrap_ci95'])} "
            f"| {m['snips']['value']:.6f} (diff to obp {r['snips_difference']:.0e}) "
            f"| {lo:.6f} .. {hi:.6f} / **{m['dr']['value']:.6f}**{'' if r['dr_within_spread'] else ' (outside)'} "
            f"| {ci(m['dr']['ci95'])} / {ci(m['dr']['bootstrap_ci95'])} "
            f"| {os_lo:.6f} .. {os_hi:.6f} / **{m['dr_os']['value']:.6f}**"
            f"{'' if r['dr_os_within_obp_dr_os_spread'] else ' (outside)'}"
            f"{'' if r['dr_os_within_spread'] else ' (outside obp DR)'} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", default=",".join(FILES))
    parser.add_argument("--bootstrap", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true", help="Reuse OUT/reference.json and the exported logs.")
    args = parser.parse_args()
    missing = obp_missing()
    if missing and not args.reuse:
        sys.exit(missing)
    files = args.files.split(",")
    reference = (json.loads((args.out / "reference.json").read_text()) if args.reuse
                 else run_obp(args.out, files, args.bootstrap))
    ours = {name: run_ours(args.out, name, reference) for name in reference["files"]}
    rows = compare(reference, ours)
    (args.out / "comparison.json").write_text(json.dumps(rows, indent=2))
    print(table(rows))


if __name__ == "__main__":
    main()
