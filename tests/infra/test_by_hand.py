"""docs/terraform.md, "By hand" (issue #15 item 7): the documented commands, run as written in a private copy of
the checkout (the state lands in the roots, as by hand), against the emulator named by TF_VAR_aws_endpoint_url:
a moto server of our own on a free port. No file names an emulator's address, so without the variable the
local target stops at plan, before any call to any endpoint."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import boto3
import pytest


pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "terraform.md"
BLOCK = re.compile(r"<!-- BEGIN by-hand apply[^>]*-->\s*```sh\n(.*?)```\s*<!-- END by-hand apply -->", re.S)


def documented_commands() -> str:
    found = BLOCK.findall(DOC.read_text())
    assert len(found) == 1, "docs/terraform.md has one by-hand block between its markers"
    return found[0]


def by_hand_env(checkout: Path, **extra: str) -> dict[str, str]:
    """A shell as docs/terraform.md's "Toolchain" section sets it up in `checkout`, plus `extra`. `apply` is
    answered `yes` (TF_CLI_ARGS_apply); `python -m smartpay_shared...` builds from the copy (PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TF_", "AWS_")) and k not in ("CHECKPOINT_DISABLE", "PYTHONPATH")}
    toolchain = checkout / ".local" / "toolchain"
    env.update({"TF_CLI_CONFIG_FILE": str(toolchain / "terraformrc"), "CHECKPOINT_DISABLE": "1",
                "PATH": f"{toolchain / 'bin'}{os.pathsep}{env.get('PATH', '')}", "TF_IN_AUTOMATION": "1",
                "TF_CLI_ARGS_apply": "-auto-approve", "PYTHONPATH": str(checkout / "shared"), **extra})
    return env


def run(commands: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)


def test_no_file_names_an_emulator_address():
    tf = REPO_ROOT / "infra" / "terraform"
    for tfvars in sorted(tf.glob("**/*.tfvars")):
        assert not re.search(r"^\s*aws_endpoint_url\s*=", tfvars.read_text(), re.M), tfvars
    for variables in sorted(tf.glob("*/variables.tf")) + sorted(tf.glob("services/*/variables.tf")):
        block = variables.read_text().split('variable "aws_endpoint_url"', 1)[1].split("\n}\n", 1)[0]
        assert re.search(r'default\s*=\s*""', block), f"{variables}: the default endpoint is AWS's (empty)"


def test_without_an_endpoint_the_local_target_stops_at_plan(checkout):
    # A plan only: were the refusal gone, this would read (not write) whatever answers on a default port.
    result = run("cd infra/terraform/platform && terraform init -input=false >/dev/null && "
                 "terraform plan -input=false -var-file=local.tfvars", checkout, by_hand_env(checkout))
    assert result.returncode != 0
    assert "target local needs the emulator's address" in result.stdout + result.stderr, result.stdout[-3000:]
    assert not (checkout / "infra" / "terraform" / "platform" / "terraform.tfstate").exists()


def test_the_documented_commands_apply_to_the_emulator_they_are_given(checkout, endpoint):
    result = run(documented_commands(), checkout, by_hand_env(checkout, TF_VAR_aws_endpoint_url=endpoint))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert "Apply complete!" in result.stdout
    # The state is where the docs say (each root's own terraform.tfstate), and the resources are in our moto.
    tf = checkout / "infra" / "terraform"
    assert (tf / "platform" / "terraform.tfstate").is_file() and (tf / "services" / "fraud" / "terraform.tfstate").is_file()
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    aws = lambda name: session.client(name, endpoint_url=endpoint)  # noqa: E731
    assert sorted(b["Name"] for b in aws("events").list_event_buses()["EventBuses"]) == ["default", "smartpay-bus"]
    assert aws("sqs").get_queue_url(QueueName="smartpay-fraud")["QueueUrl"]
    functions = sorted(f["FunctionName"] for f in aws("lambda").list_functions()["Functions"])
    assert functions == ["smartpay-fraud-api", "smartpay-fraud-worker"]
