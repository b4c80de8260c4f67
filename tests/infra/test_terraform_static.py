"""Offline checks of infra/terraform: formatting, init + validate of every root and module example under
hashicorp/aws 5.100 (validate's warnings included: nothing deprecated), `terraform test` with a mocked
provider, the committed lock files, an emulator endpoint for every AWS service the HCL calls, and the
toolchain installer."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # pytest.ini: "talks to ... Terraform"; needs the toolchain installed

REPO_ROOT = Path(__file__).resolve().parents[2]
TF_DIR = REPO_ROOT / "infra" / "terraform"


def test_fmt(tf_env):
    proc = subprocess.run([tf_env["SMARTPAY_TERRAFORM"], "fmt", "-check", "-recursive", "-diff", str(TF_DIR)],
                          env=tf_env, capture_output=True, text=True)
    assert proc.returncode == 0, f"terraform fmt would change:\n{proc.stdout}{proc.stderr}"


def test_roots_share_provider_and_version_files(tf_layout):
    for name in ("providers.tf", "versions.tf", "backend.tf"):
        contents = {root: (TF_DIR / root / name).read_text() for root in tf_layout["roots"]}
        assert len(set(contents.values())) == 1, f"{name} differs between roots: copy platform/{name}"
    assert 'version = "~> 5.100"' in (TF_DIR / "platform" / "versions.tf").read_text()


def test_lock_files_are_committed_and_pin_5_100(tf_layout):
    for root in tf_layout["roots"]:
        lock = TF_DIR / root / ".terraform.lock.hcl"
        tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(lock)], cwd=REPO_ROOT, capture_output=True)
        assert tracked.returncode == 0, f"{lock} is not committed"
        ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", str(lock)], cwd=REPO_ROOT)
        assert ignored.returncode == 1, f"{lock} is git-ignored"
        text = lock.read_text()
        assert 'version     = "5.100.0"' in text and "h1:" in text, text


# The provider's endpoint key for each AWS service a resource or data source type calls. A type missing
# here fails the test: add it, and the endpoint entry to providers.tf, or the call would leave the emulator.
ENDPOINT_OF = {
    "aws_apigatewayv2_": "apigatewayv2", "aws_cloudwatch_event_": "events", "aws_cloudwatch_log_": "logs",
    "aws_cloudwatch_metric_alarm": "cloudwatch", "aws_cognito_": "cognitoidp", "aws_dynamodb_": "dynamodb",
    "aws_elasticache_": "elasticache", "aws_elasticsearch_": "es", "aws_iam_": "iam", "aws_kms_": "kms",
    "aws_lambda_": "lambda", "aws_s3_": "s3", "aws_secretsmanager_": "secretsmanager", "aws_sns_": "sns",
    "aws_sqs_": "sqs", "aws_ecr_": "ecr", "aws_caller_identity": "sts",
    "aws_partition": None, "aws_region": None,  # computed from the provider configuration, no call
}


def test_every_aws_service_called_has_an_emulator_endpoint():
    types = {m.group(1) for path in TF_DIR.rglob("*.tf") if ".terraform" not in path.parts
             for m in re.finditer(r'^(?:resource|data) "(aws_[a-z0-9_]+)"', path.read_text(), re.M)}
    providers = (TF_DIR / "platform" / "providers.tf").read_text()
    block = providers[providers.index("content {"):]
    endpoints = set(re.findall(r"^\s+([a-z0-9]+)\s+= endpoints\.value", block, re.M))
    needed = {}
    for resource_type in sorted(types):
        prefix = next((p for p in ENDPOINT_OF if resource_type.startswith(p)), None)
        assert prefix is not None, f"{resource_type}: which AWS service does it call? (ENDPOINT_OF)"
        if ENDPOINT_OF[prefix]:
            needed[resource_type] = ENDPOINT_OF[prefix]
    missing = {t: e for t, e in needed.items() if e not in endpoints}
    assert not missing, f"providers.tf has no endpoint entry for {missing}: these calls would go to AWS"
    assert needed["aws_apigatewayv2_api"] == "apigatewayv2"  # 3.x's `apigateway` key no longer covers v2


def test_init_and_validate(tf_checks, validate_dir):
    tf_checks[validate_dir]["init"].check(f"init {validate_dir}")
    tf_checks[validate_dir]["validate"].check(f"validate {validate_dir}")
    assert "Warning:" not in tf_checks[validate_dir]["validate"].output, "deprecated or dubious HCL under 5.100"


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
    assert "hashicorp/aws 5.100.0" in proc.stdout and "done (Terraform 1." in proc.stdout
    assert Path(tf_env["SMARTPAY_TERRAFORM"]).resolve().is_file()


@pytest.mark.parametrize("missing", ["mirror", "terraform"])
def test_installer_fails_loudly_without_terraform_or_the_provider(tmp_path, tf_env, missing):
    env = {**tf_env, "SMARTPAY_TOOLCHAIN_DIR": str(tmp_path / "toolchain")}
    if missing == "mirror":
        env["SMARTPAY_TF_MIRROR"] = str(tmp_path / "empty-mirror")
    else:
        env["SMARTPAY_TERRAFORM_BIN"] = str(tmp_path / "no-terraform")
    proc = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "install-terraform.sh")], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode != 0
    assert "ERROR: no hashicorp/aws 5.100.0 in the mirror" in proc.stderr if missing == "mirror" \
        else "ERROR: no Terraform binary" in proc.stderr, proc.stderr
    assert "python-svc machine image ships both" in proc.stderr
    assert not (tmp_path / "toolchain" / "terraformrc").exists()


def test_a_call_without_an_endpoint_entry_fails_instead_of_reaching_aws(tf_env, tmp_path):
    """The orchestrator's proxy settings (terraform.emulator_only_env): a root whose provider names the emulator
    for S3 only still creates a queue... through the closed proxy, so the apply fails at once."""
    from smartpay_shared.local import terraform

    (tmp_path / "main.tf").write_text('''
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.100" }
  }
}
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  max_retries                 = 1
  endpoints {
    s3 = "http://127.0.0.1:9"
  }
}
resource "aws_sqs_queue" "escapes" {
  name = "smartpay-escape-check"
}
''')
    env = {k: v for k, v in tf_env.items() if not k.startswith("AWS_ENDPOINT_URL")}  # the block alone, as by hand
    env = {**env, **terraform.emulator_only_env("http://127.0.0.1:9"), "TF_DATA_DIR": str(tmp_path / ".terraform")}
    tf = tf_env["SMARTPAY_TERRAFORM"]
    assert subprocess.run([tf, "init", "-no-color", "-input=false"], cwd=tmp_path, env=env,
                          capture_output=True).returncode == 0
    proc = subprocess.run([tf, "apply", "-auto-approve", "-no-color", "-input=false"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode != 0
    assert "sqs.us-east-1.amazonaws.com" in proc.stdout + proc.stderr and "proxyconnect" in proc.stdout + proc.stderr, \
        proc.stdout + proc.stderr


def test_the_orchestrator_names_the_emulator_through_the_environment_not_an_endpoints_block(tmp_path):
    """smartpay_shared.local.terraform runs every root with AWS_ENDPOINT_URL set to the emulator (whatever the
    caller's shell exports, per-service overrides included) and `aws_endpoint_from_environment = true`, under
    which providers.tf writes no endpoints block: hashicorp/aws 5.100 spends ~4.5 s of CPU validating one, three
    times per apply (docs/terraform.md, "Apply time"). By hand the variable keeps its default and the block names
    the emulator for each service."""
    import json
    import os

    from smartpay_shared.local import terraform

    endpoint = "http://127.0.0.1:4599"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")  # another stack's, as `make` exports it
        mp.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566")
        stack = terraform._Stack(endpoint, tmp_path, ["fraud"], REPO_ROOT, {})
    assert stack.env["AWS_ENDPOINT_URL"] == endpoint
    assert not [k for k in stack.env if k.startswith("AWS_ENDPOINT_URL_")]
    assert os.environ.get("AWS_ENDPOINT_URL") != endpoint  # the caller's own environment is left alone
    for root in (stack.platform, *stack.services):
        root.dir.mkdir(parents=True, exist_ok=True)
        stack.write_vars(root, endpoint, rebuild_zip=root.service is not None)
        variables = json.loads(root.var_file.read_text())
        assert variables["aws_endpoint_url"] == endpoint and variables["aws_endpoint_from_environment"] is True
    providers = (TF_DIR / "platform" / "providers.tf").read_text()
    assert "for_each = local.emulated && !var.aws_endpoint_from_environment ? [var.aws_endpoint_url] : []" in providers
    for root in ("platform", *(f"services/{s}" for s in terraform.SERVICES)):
        block = (TF_DIR / root / "variables.tf").read_text().split('variable "aws_endpoint_from_environment"', 1)[1]
        assert re.match(r"\s*\{[^}]*default\s+= false", block), root
