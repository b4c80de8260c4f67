#!/usr/bin/env bash
# A test-only virtual environment with obp (Open Bandit Pipeline), the reference the OPE estimators are
# checked against (tests/reference/test_obp_agreement.py). obp 0.5.7 declares python<3.11 and pins
# nothing useful, so it goes in with --no-deps --ignore-requires-python and its imports are pinned here;
# pandas must stay below 3 (obp uses APIs pandas 3 removed). Never installed into the service's .venv.
# Usage: services/routing/tests/reference/obp_env.sh [VENV_DIR]   (default <repo>/.local/obp-venv)
set -euo pipefail
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
venv="${1:-${SMARTPAY_OBP_VENV:-$root/.local/obp-venv}}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/pip" install -q numpy==2.4.6 "pandas==2.3.3" scikit-learn==1.9.1 scipy==1.17.1 matplotlib==3.11.2 \
  seaborn==0.13.2 tqdm==4.70.1 PyYAML==6.0.3 "torch==2.13.0+cpu"
"$venv/bin/pip" install -q --no-deps --ignore-requires-python obp==0.5.7
"$venv/bin/python" -c "import obp; print('obp', obp.__version__, 'in', '$venv')"
