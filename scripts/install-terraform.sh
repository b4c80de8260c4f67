#!/usr/bin/env bash
# Sets up the Terraform toolchain (docs/terraform.md, "Toolchain"): Terraform >= 1.9 and the hashicorp/aws
# 5.100.0 provider in a filesystem mirror, both shipped by this machine kind (Terraform 1.11 at
# /usr/local/bin/terraform, the provider unpacked under /opt/tf-plugins); nothing is downloaded, the provider
# registry is unreachable here. Writes a terraformrc (that mirror only, one plugin cache for every root) and
# a `terraform` link. Fails loudly when either is missing. Idempotent; re-running is cheap.
#
#   SMARTPAY_TOOLCHAIN_DIR  install dir (default <repo>/.local/toolchain, git-ignored)
#   SMARTPAY_TERRAFORM_BIN  the Terraform binary (default: /usr/local/bin/terraform, else `terraform` on PATH)
#   SMARTPAY_TF_MIRROR      the provider mirror (default /opt/tf-plugins): <mirror>/registry.terraform.io/hashicorp/aws/5.100.0/
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLCHAIN_DIR="${SMARTPAY_TOOLCHAIN_DIR:-$REPO_ROOT/.local/toolchain}"
PROVIDER_VERSION="5.100.0" # what every root's .terraform.lock.hcl pins
MIN_TERRAFORM="1.9.0"      # the roots' required_version
MIRROR="${SMARTPAY_TF_MIRROR:-/opt/tf-plugins}"
CACHE_DIR="$TOOLCHAIN_DIR/plugin-cache"
BIN_DIR="$TOOLCHAIN_DIR/bin"
RC_FILE="$TOOLCHAIN_DIR/terraformrc"

say() { printf 'install-terraform: %s\n' "$*"; }
die() {
  printf 'install-terraform: ERROR: %s\n' "$*" >&2
  cat >&2 <<EOF
install-terraform: SmartPay needs Terraform >= $MIN_TERRAFORM and hashicorp/aws $PROVIDER_VERSION in a filesystem mirror
  (unpacked or packed, under <mirror>/registry.terraform.io/hashicorp/aws/).
  The python-svc machine image ships both (/usr/local/bin/terraform 1.11, /opt/tf-plugins). Elsewhere, online:
    terraform providers mirror <dir>   (in any root)   then   SMARTPAY_TF_MIRROR=<dir> SMARTPAY_TERRAFORM_BIN=<terraform> $0
EOF
  exit 1
}

# 1. Terraform itself: the machine's binary (never our own link, which may point at a removed one).
if [[ -n "${SMARTPAY_TERRAFORM_BIN:-}" ]]; then
  TERRAFORM="$SMARTPAY_TERRAFORM_BIN"
elif [[ -x /usr/local/bin/terraform ]]; then
  TERRAFORM=/usr/local/bin/terraform
else
  TERRAFORM="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN_DIR" | paste -sd:)" command -v terraform || true)"
fi
[[ -n "$TERRAFORM" && -x "$TERRAFORM" ]] || die "no Terraform binary (looked at \$SMARTPAY_TERRAFORM_BIN, /usr/local/bin/terraform, PATH)"
TF_VERSION="$(TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$TERRAFORM" version -json 2>/dev/null \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])' 2>/dev/null || true)"
[[ -n "$TF_VERSION" ]] || die "$TERRAFORM does not run as Terraform (\`terraform version -json\` failed)"
if [[ "$(printf '%s\n%s\n' "$MIN_TERRAFORM" "$TF_VERSION" | sort -V | head -n1)" != "$MIN_TERRAFORM" ]]; then
  die "$TERRAFORM is Terraform $TF_VERSION, older than $MIN_TERRAFORM"
fi

# 2. The provider, unpacked in the mirror.
# Unpacked (the image's layout) or packed (what `terraform providers mirror` writes).
PROVIDER_DIR="$MIRROR/registry.terraform.io/hashicorp/aws"
PROVIDER_BIN="$(ls "$PROVIDER_DIR/$PROVIDER_VERSION"/linux_amd64/terraform-provider-aws_v"$PROVIDER_VERSION"* \
  "$PROVIDER_DIR"/terraform-provider-aws_"$PROVIDER_VERSION"_linux_amd64.zip 2>/dev/null | head -n1 || true)"
[[ -n "$PROVIDER_BIN" ]] || die "no hashicorp/aws $PROVIDER_VERSION in the mirror $MIRROR (looked for $PROVIDER_DIR/$PROVIDER_VERSION/linux_amd64/terraform-provider-aws_v${PROVIDER_VERSION}_x5 and $PROVIDER_DIR/terraform-provider-aws_${PROVIDER_VERSION}_linux_amd64.zip)"

# 3. CLI config: only the mirror (no registry), one plugin cache shared by every root (the cache entry is a
# link into the mirror: the 700 MB provider is never copied). plugin_cache_may_break_dependency_lock_file:
# without it Terraform >= 1.4 ignores the cache for a directory without a lock file (module tests, examples).
mkdir -p "$CACHE_DIR" "$BIN_DIR"
cat >"$RC_FILE.tmp" <<EOF
# Written by scripts/install-terraform.sh; use with TF_CLI_CONFIG_FILE=$RC_FILE
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
plugin_cache_dir                            = "$CACHE_DIR"
plugin_cache_may_break_dependency_lock_file = true
disable_checkpoint                          = true
EOF
mv "$RC_FILE.tmp" "$RC_FILE"

# 4. The `terraform` command the tooling runs (SMARTPAY_TERRAFORM): a link to the machine's binary.
ln -sfn "$TERRAFORM" "$BIN_DIR/terraform"
rm -f "$TOOLCHAIN_DIR/terraformrc-5x" # the optional second check of the 3.39 toolchain, now the only one

cat <<EOF
install-terraform: done (Terraform $TF_VERSION, hashicorp/aws $PROVIDER_VERSION)
  terraform           $BIN_DIR/terraform -> $TERRAFORM
  CLI config          $RC_FILE
  provider mirror     $MIRROR
  plugin cache        $CACHE_DIR
Use it with:
  export TF_CLI_CONFIG_FILE=$RC_FILE CHECKPOINT_DISABLE=1 PATH=$BIN_DIR:\$PATH
EOF
