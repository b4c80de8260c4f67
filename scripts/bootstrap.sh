#!/usr/bin/env bash
# Create .venv and install every SmartPay package (editable) with pinned dependencies, then the
# offline Terraform toolchain. Idempotent: re-runs only when a requirements or pyproject file changed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
venv="$root/.venv"
stamp="$venv/.smartpay-installed"

extras_for() {  # extras the tests exercise; torch 2.13.0 (fraud[graph]) is a CPU wheel on this machine kind's disk
  case "$1" in
    fraud) echo "[graph]" ;;
    chat) echo "[embeddings,test]" ;;
    *) echo "" ;;
  esac
}

want="$(cat requirements/*.in requirements/constraints.txt shared/pyproject.toml services/*/pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing Python packages into .venv ($("$python" --version))"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/pip" install -q -c requirements/constraints.txt -r requirements/dev.in
  editables=(-e "shared[local]")
  for svc in services/*/; do editables+=(-e "${svc%/}$(extras_for "$(basename "$svc")")"); done
  "$venv/bin/pip" install -q -c requirements/constraints.txt "${editables[@]}"
  echo "$want" > "$stamp"
else
  echo "==> .venv up to date"
fi

if [ -x scripts/install-terraform.sh ]; then
  scripts/install-terraform.sh
fi

# checkov (tests/infra/test_checkov.py) in a virtual environment of its own: its pins clash with the
# services' (e.g. boto3), and it runs offline with --skip-download. Re-installed only when the pin changes.
checkov_version="3.3.30"
checkov_venv="${SMARTPAY_CHECKOV_VENV:-$root/.local/checkov-venv}"
checkov_stamp="$checkov_venv/.smartpay-checkov"
if [ ! -x "$checkov_venv/bin/checkov" ] || [ "$(cat "$checkov_stamp" 2>/dev/null)" != "$checkov_version" ]; then
  echo "==> installing checkov==$checkov_version into $checkov_venv"
  [ -x "$checkov_venv/bin/python" ] || "$python" -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install -q "checkov==$checkov_version"
  echo "$checkov_version" > "$checkov_stamp"
else
  echo "==> checkov $checkov_version up to date ($checkov_venv)"
fi
